import { join } from 'node:path'
import { createAgent, isAgentError } from '@edgetwin/agent'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { freePort } from '../support/ports.js'
import { agentConfig, sample, tempDir } from './support.js'

/** The outbox's rows, oldest first (the agent closed, so the file is free). */
function storedRows(dir: string): string[] {
  const db = new Database(join(dir, 'outbox.db'), { readonly: true })
  try {
    return db.prepare('SELECT data FROM outbox ORDER BY id').pluck().all() as string[]
  } finally {
    db.close()
  }
}

describe('acceptMany', () => {
  it('stores every record in order with one promise, each as its JSON, and tells listeners of each', async () => {
    const tmp = tempDir()
    const agent = createAgent(agentConfig(`mqtt://127.0.0.1:${await freePort()}`, tmp.dir))
    await agent.start()
    const heard: [string, unknown, number][] = []
    agent.onAccepted((stream, record, seq) => heard.push([stream, record, seq]))
    const records = Array.from({ length: 250 }, (_, i) => sample(i))
    try {
      const results = await agent.acceptMany('metrics', records)
      expect(results).toEqual(records.map((_, i) => ({ seq: i + 1 })))
      // A single accept afterwards takes the next seq: both paths share the stream's numbering.
      expect(await agent.accept('metrics', sample(250))).toEqual({ seq: 251 })
      expect(agent.health().counters.accepted).toBe(251)
      expect(heard.slice(0, 250)).toEqual(records.map((r, i) => ['metrics', r, i + 1]))
    } finally {
      await agent.close()
    }
    expect(storedRows(tmp.dir)).toEqual([...records, sample(250)].map((r) => JSON.stringify(r)))
    tmp.cleanup()
  })

  it('refuses the whole call when one record is invalid, naming its index, and stores none of it', async () => {
    const tmp = tempDir()
    const agent = createAgent(agentConfig(`mqtt://127.0.0.1:${await freePort()}`, tmp.dir))
    await agent.start()
    const records: unknown[] = Array.from({ length: 5 }, (_, i) => sample(i))
    records[3] = { ...sample(3), time: 'yesterday' }
    try {
      await expect(agent.acceptMany('metrics', records)).rejects.toMatchObject({
        code: 'AGENT_INVALID_RECORD',
        message: expect.stringMatching(/^records\[3\]: invalid metrics record: .*time/),
      })
      await expect(agent.acceptMany('metrics', [sample(0), { ...sample(1), extra: 1 }])).rejects.toMatchObject({
        code: 'AGENT_INVALID_RECORD',
        message: expect.stringMatching(/^records\[1\]: /),
      })
      const cyclic: Record<string, unknown> = { ...sample(9) }
      cyclic.self = cyclic
      await expect(agent.acceptMany('metrics', [cyclic])).rejects.toMatchObject({ code: 'AGENT_INVALID_RECORD' })
      await expect(agent.acceptMany('metrics', 'not an array' as never)).rejects.toMatchObject({
        code: 'AGENT_INVALID_RECORD',
        message: expect.stringMatching(/array/),
      })
      await expect(agent.acceptMany('nope' as never, [sample(0)])).rejects.toMatchObject({ code: 'AGENT_UNKNOWN_STREAM' })
      await expect(agent.acceptMany('nope' as never, [])).rejects.toMatchObject({ code: 'AGENT_UNKNOWN_STREAM' })
      const h = agent.health()
      expect(h.counters.accepted).toBe(0)
      expect(h.counters.rejected).toBe(5 + 2 + 1 + 1 + 1)
      expect(h.queueDepth).toBe(0)
      expect(await agent.acceptMany('metrics', [])).toEqual([])
    } finally {
      await agent.close()
    }
    expect(storedRows(tmp.dir)).toEqual([])
    tmp.cleanup()
  })

  it('reports a full outbox (reject-new) per record: the ones that fit are stored, the rest carry AGENT_OUTBOX_FULL', async () => {
    const tmp = tempDir()
    const bytes = JSON.stringify(sample(0)).length
    const keep = 12
    const agent = createAgent(
      agentConfig(`mqtt://127.0.0.1:${await freePort()}`, tmp.dir, {
        outbox: { maxBytes: keep * bytes + Math.floor(bytes / 2), eviction: 'reject-new' },
      }),
    )
    await agent.start()
    try {
      // sample(n) for n < 10 has the same length as sample(0): every record is `bytes` long.
      const records = Array.from({ length: 20 }, () => sample(1))
      const results = await agent.acceptMany('metrics', records)
      expect(results.slice(0, keep)).toEqual(Array.from({ length: keep }, (_, i) => ({ seq: i + 1 })))
      for (const r of results.slice(keep)) {
        expect(r.seq).toBeNull()
        expect('error' in r && isAgentError(r.error, 'AGENT_OUTBOX_FULL')).toBe(true)
      }
      const h = agent.health()
      expect(h.counters.accepted).toBe(keep)
      expect(h.counters.rejected).toBe(20 - keep)
      expect(h.queueDepth).toBe(keep)
      expect(h.lastError?.code).toBe('AGENT_OUTBOX_FULL')
    } finally {
      await agent.close()
    }
    expect(storedRows(tmp.dir)).toHaveLength(keep)
    tmp.cleanup()
  })

  it("passes a vehicle's positions through its filter one by one, in order, as accept does", async () => {
    const tmp = tempDir()
    const agent = createAgent(
      agentConfig(`mqtt://127.0.0.1:${await freePort()}`, tmp.dir, {
        deviceId: 'van-9',
        kind: 'vehicle',
        vehicle: { distanceFilterM: 30, minIntervalS: 0 },
      }),
    )
    await agent.start()
    const fix = (s: number, m: number) => ({
      sampleTime: new Date(Date.UTC(2024, 0, 1, 8, 0, s)).toISOString(),
      lon: -0.1276,
      lat: 51.5072 + m / 111_195,
    })
    try {
      const results = await agent.acceptMany('position', [fix(0, 0), fix(1, 10), fix(2, 80), fix(3, 90)])
      expect(results).toEqual([{ seq: 1 }, { seq: null, filtered: 'distance' }, { seq: 2 }, { seq: null, filtered: 'distance' }])
      expect(agent.health().counters.filtered).toBe(2)
    } finally {
      await agent.close()
      tmp.cleanup()
    }
  })
})
