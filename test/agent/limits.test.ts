import { join } from 'node:path'
import { createAgent, isAgentError } from '@edgetwin/agent'
import { startEmbeddedBroker } from '@edgetwin/cloud'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { freePort } from '../support/ports.js'
import { agentConfig, Collector, tempDir } from './support.js'

// Fixed-size records, so the expected eviction count is exact.
const record = (n: number) => ({
  time: new Date(Date.UTC(2024, 0, 1) + n * 1000).toISOString(),
  windSpeedMps: 11.4,
  rotorSpeedRpm: 12.1,
  generatorSpeedRpm: 1173.7,
  generatorPowerKw: 4999,
  generatorTorqueKnm: 43.1,
  bladePitchDeg: 0,
  alarms: [],
})
const RECORD_BYTES = JSON.stringify(record(0)).length
const KEEP = 20
const TOTAL = 100

describe('outbox limits while the broker is down', () => {
  it('drop-oldest evicts exactly the overflow, counts it, and delivers the rest once the broker is up', async () => {
    const tmp = tempDir()
    const port = await freePort()
    const url = `mqtt://127.0.0.1:${port}`
    const agent = createAgent(agentConfig(url, tmp.dir, { outbox: { maxBytes: KEEP * RECORD_BYTES + Math.floor(RECORD_BYTES / 2) } }))
    await agent.start()
    try {
      for (let i = 0; i < TOTAL; i++) await agent.accept('metrics', record(i))
      const h = agent.health()
      expect(h.connection).not.toBe('connected')
      expect(h.counters.evicted).toBe(TOTAL - KEEP)
      expect(h.queueDepth).toBe(KEEP)
      expect(h.queueBytes).toBe(KEEP * RECORD_BYTES)

      const broker = await startEmbeddedBroker({ port })
      const collector = await Collector.connect(url, 'dt/edgetwin/turbine/+/metrics')
      try {
        await collector.waitFor(() => collector.distinct('metrics').size >= KEEP, 15_000, `${KEEP} records`)
        expect([...collector.distinct('metrics')].sort((a, b) => a - b)).toEqual(
          Array.from({ length: KEEP }, (_, i) => TOTAL - KEEP + i + 1),
        )
      } finally {
        await agent.close()
        await collector.close()
        await broker.close()
      }
    } finally {
      await agent.close()
      tmp.cleanup()
    }
  })

  it('reject-new refuses exactly the overflow with AGENT_OUTBOX_FULL and counts it', async () => {
    const tmp = tempDir()
    const url = `mqtt://127.0.0.1:${await freePort()}`
    const agent = createAgent(
      agentConfig(url, tmp.dir, { outbox: { maxBytes: KEEP * RECORD_BYTES + Math.floor(RECORD_BYTES / 2), eviction: 'reject-new' } }),
    )
    await agent.start()
    try {
      const outcomes = await Promise.allSettled(Array.from({ length: TOTAL }, (_, i) => agent.accept('metrics', record(i))))
      const refused = outcomes.filter((o) => o.status === 'rejected')
      expect(refused).toHaveLength(TOTAL - KEEP)
      for (const r of refused) expect(isAgentError((r as PromiseRejectedResult).reason, 'AGENT_OUTBOX_FULL')).toBe(true)
      const h = agent.health()
      expect(h.counters.rejected).toBe(TOTAL - KEEP)
      expect(h.counters.evicted).toBe(0)
      expect(h.queueDepth).toBe(KEEP)
      expect(h.lastError?.code).toBe('AGENT_OUTBOX_FULL')
    } finally {
      await agent.close()
      tmp.cleanup()
    }
  })

  it('on a full disk rejects with AGENT_DISK_FULL, keeps what it holds, then drains and recovers by itself', async () => {
    const tmp = tempDir()
    const port = await freePort()
    const url = `mqtt://127.0.0.1:${port}`
    const agent = createAgent(agentConfig(url, tmp.dir), { outbox: { maxPageCount: 48 } })
    await agent.start()
    const accepted: number[] = []
    let full: unknown
    for (let i = 0; i < 10_000 && !full; i++) {
      try {
        const r = await agent.accept('metrics', record(i))
        if (r.seq !== null) accepted.push(r.seq)
      } catch (err) {
        full = err
      }
    }
    expect(isAgentError(full, 'AGENT_DISK_FULL')).toBe(true)
    expect(accepted.length).toBeGreaterThan(50)
    expect(agent.health().queueDepth).toBe(accepted.length)
    expect(agent.health().lastError?.code).toBe('AGENT_DISK_FULL')
    await expect(agent.accept('metrics', record(1))).rejects.toMatchObject({ code: 'AGENT_DISK_FULL' })

    const broker = await startEmbeddedBroker({ port })
    const collector = await Collector.connect(url, 'dt/edgetwin/turbine/+/metrics')
    try {
      await collector.waitFor(() => collector.distinct('metrics').size >= accepted.length, 20_000, 'the stored records')
      expect([...collector.distinct('metrics')].sort((a, b) => a - b)).toEqual(accepted)
      // Space came back as the acknowledged rows were deleted: accepting works again, with the next seq.
      let after: { seq: number | null } | undefined
      for (let i = 0; i < 100 && !after; i++) {
        try {
          after = await agent.accept('metrics', record(1))
        } catch {
          await new Promise((r) => setTimeout(r, 50))
        }
      }
      // The refused accepts consumed no seq (their transaction rolled back).
      expect(after?.seq).toBe(accepted[accepted.length - 1]! + 1)
    } finally {
      await agent.close()
      await collector.close()
      await broker.close()
    }
    const db = new Database(join(tmp.dir, 'outbox.db'))
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    db.close()
    tmp.cleanup()
  })

  it('refuses a second agent on the same outbox with AGENT_DB_LOCKED', async () => {
    const tmp = tempDir()
    const url = `mqtt://127.0.0.1:${await freePort()}`
    const first = createAgent(agentConfig(url, tmp.dir))
    await first.start()
    try {
      const second = createAgent(agentConfig(url, tmp.dir))
      await expect(second.start()).rejects.toMatchObject({
        code: 'AGENT_DB_LOCKED',
        message: expect.stringMatching(/in use by another agent/),
      })
      await second.close()
    } finally {
      await first.close()
      tmp.cleanup()
    }
  })
})
