import { closeSync, copyFileSync, openSync, unlinkSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { type Agent, createAgent, isAgentError } from '@edgetwin/agent'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { startMosquitto } from '../support/mosquitto.js'
import { freePort } from '../support/ports.js'
import { agentConfig, Collector, mosquittoSuite, sample } from './support.js'
import { mountTmpfs } from './tmpfs.js'

// Agent defaults throughout (outbox limits, eviction drop-oldest, group commit); only the disk is small.
const DISK = '4m'

/** Accepts `count` records, `parallel` at a time; returns the seqs accepted and the errors by code. */
async function feed(agent: Agent, from: number, count: number, parallel = 200) {
  const seqs: number[] = []
  const errors = new Map<string, number>()
  for (let i = 0; i < count; i += parallel) {
    const outcomes = await Promise.allSettled(
      Array.from({ length: Math.min(parallel, count - i) }, (_, k) => agent.accept('metrics', sample(from + i + k))),
    )
    for (const o of outcomes) {
      if (o.status === 'fulfilled' && o.value.seq !== null) seqs.push(o.value.seq)
      if (o.status === 'rejected') {
        const code = isAgentError(o.reason) ? o.reason.code : String(o.reason)
        errors.set(code, (errors.get(code) ?? 0) + 1)
      }
    }
  }
  return { seqs, errors: Object.fromEntries(errors) }
}

/** Fills the filesystem of `dir` with one file until ENOSPC; returns its path. */
function fillDisk(dir: string): string {
  const path = join(dir, 'filler')
  const fd = openSync(path, 'w')
  const chunk = Buffer.alloc(64 * 1024, 1)
  try {
    for (;;) writeSync(fd, chunk)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err
  } finally {
    closeSync(fd)
  }
  return path
}

/** integrity_check on a copy of the outbox (never on the live file). */
function integrityOfCopy(dataDir: string, scratch: string): string {
  copyFileSync(join(dataDir, 'outbox.db'), scratch)
  const db = new Database(scratch, { readonly: true })
  try {
    return String(db.pragma('integrity_check', { simple: true }))
  } finally {
    db.close()
  }
}

describe('a real full filesystem (4 MiB tmpfs)', { timeout: 180_000 }, () => {
  const suite = mosquittoSuite()

  it('with the broker up: 25,000 records (6 MB) pass through the 4 MiB disk, none refused, none lost', async () => {
    const disk = mountTmpfs(DISK)
    const collector = await Collector.connect(suite.broker.url, 'dt/edgetwin/turbine/small-up/metrics')
    const agent = createAgent(agentConfig(suite.broker.url, disk.dir, { deviceId: 'small-up' }))
    try {
      await agent.start()
      const { seqs, errors } = await feed(agent, 0, 25_000)
      // Before: within ~3 s the WAL filled the disk and every accept failed with AGENT_DISK_FULL for good.
      expect(errors).toEqual({})
      const evicted = () => agent.health().counters.evicted
      await collector.waitFor(
        () => collector.distinct('metrics').size + evicted() >= seqs.length,
        120_000,
        'every record delivered or evicted',
      )
      expect(collector.distinct('metrics').size + evicted()).toBe(seqs.length)
      expect(collector.errors).toEqual([])
      await agent.close()
      expect(integrityOfCopy(disk.dir, join(suite.dir, 'small-up.db'))).toBe('ok')
    } finally {
      await agent.close()
      await collector.close()
      disk.unmount()
    }
  })

  // This case once flaked (the kept records never reached the collector): the agent had them all acked; the test's
  // broker, started by root, could not write its persistence file, so the collector's session died with the outage.
  it('with the broker down: evicts (counted) instead of failing; once the broker is back it drains and accepts again', async () => {
    const disk = mountTmpfs(DISK)
    // Its own suite.broker, with a persistent session for the collector that survives the outage.
    const own = await startMosquitto()
    const collector = await Collector.connect(own.url, 'dt/edgetwin/turbine/down-up/metrics', 5, 'collector-down-up')
    await own.stop()
    const agent = createAgent(agentConfig(own.url, disk.dir, { deviceId: 'down-up', broker: { url: own.url, protocolVersion: 5 } }))
    try {
      await agent.start()
      // 30,000 records (~7 MB) cannot all fit: the oldest are evicted, as drop-oldest declares.
      const { seqs, errors } = await feed(agent, 0, 30_000)
      expect(errors).toEqual({})
      const h = agent.health()
      expect(h.counters.evicted).toBeGreaterThan(0)
      expect(h.queueDepth + h.counters.evicted).toBe(seqs.length)
      const kept = h.queueDepth

      await own.start()
      const state = () => {
        const now = agent.health()
        return `${collector.distinct('metrics').size} received, agent acked ${now.counters.acked}, queue ${now.queueDepth}, ${now.connection}, inflight ${now.inflight}`
      }
      await collector
        .waitFor(() => collector.distinct('metrics').size >= kept, 120_000, `the ${kept} records kept`)
        .catch((err) => {
          throw new Error(`${(err as Error).message} (${state()})`)
        })
      // The kept records are exactly the newest ones.
      expect([...collector.distinct('metrics')].sort((a, b) => a - b)).toEqual(seqs.slice(-kept))
      // After the broker acked them the queue is empty and accepting works at once, again without eviction.
      for (let i = 0; i < 400 && agent.health().queueDepth > 0; i++) await new Promise((r) => setTimeout(r, 50))
      expect(agent.health().queueDepth).toBe(0)
      const evictedBefore = agent.health().counters.evicted
      const after = await feed(agent, 30_000, 2000)
      expect(after.errors).toEqual({})
      expect(agent.health().counters.evicted).toBe(evictedBefore)
      await agent.close()
      expect(integrityOfCopy(disk.dir, join(suite.dir, 'down-up.db'))).toBe('ok')
    } finally {
      await agent.close()
      await collector.close()
      await own.stop()
      disk.unmount()
    }
  })

  it('when another file fills the disk: keeps accepting by its eviction, and without it once the file is deleted', async () => {
    const disk = mountTmpfs(DISK)
    const agent = createAgent(agentConfig(`mqtt://127.0.0.1:${await freePort()}`, disk.dir, { deviceId: 'filler' }))
    try {
      await agent.start()
      const before = await feed(agent, 0, 3000)
      expect(before.errors).toEqual({})
      const filler = fillDisk(disk.dir)
      const during = await feed(agent, 3000, 5000)
      // The disk is full: new records displace the oldest (counted) rather than being refused.
      expect(during.errors).toEqual({})
      expect(agent.health().counters.evicted).toBeGreaterThan(0)
      unlinkSync(filler)
      const evicted = agent.health().counters.evicted
      // The very next accepts after the space is freed succeed without evicting anything.
      const after = await feed(agent, 8000, 1000)
      expect(after.errors).toEqual({})
      expect(agent.health().counters.evicted).toBe(evicted)
      expect(agent.health().queueDepth).toBe(before.seqs.length + during.seqs.length + after.seqs.length - evicted)
      await agent.close()
      expect(integrityOfCopy(disk.dir, join(suite.dir, 'filler.db'))).toBe('ok')
    } finally {
      await agent.close()
      disk.unmount()
    }
  })
})
