import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { type Agent, createAgent, isAgentError } from '@edgetwin/agent'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort } from '../support/ports.js'
import { mountPowerCutFs, type PowerCutMount } from '../support/power-cut.js'
import { integrityOfCopy } from './crash-loop-suite.js'
import { agentConfig, Collector, mosquittoSuite, sample, tempDir } from './support.js'

type Fault = 'fsync-eio' | 'write-eio'

/** Stores `count` metrics samples with no broker to send them to (calls of 1,000), then stops; returns their seqs. */
async function storeOffline(dataDir: string, count: number): Promise<number[]> {
  const agent = createAgent(agentConfig(`mqtt://127.0.0.1:${await freePort()}`, dataDir))
  await agent.start()
  const seqs: number[] = []
  for (let k = 0; k < count; k += 1000) {
    const records = Array.from({ length: Math.min(1000, count - k) }, (_, i) => sample(k + i))
    for (const r of await agent.acceptMany('metrics', records)) seqs.push(r.seq!)
  }
  await agent.close()
  return seqs
}

/** A new agent on `dataDir` whose start must fail with AGENT_IO_ERROR. */
async function expectStartIoError(url: string, dataDir: string): Promise<void> {
  const failing = createAgent(agentConfig(url, dataDir))
  const outcome = await failing.start().then(
    () => 'started',
    (err: unknown) => err,
  )
  expect(isAgentError(outcome, 'AGENT_IO_ERROR'), String(outcome)).toBe(true)
  await failing.close()
}

/** Waits (on progress) until every seq in `seqs` reached the collector, then asserts none is missing. */
async function expectDelivered(collector: Collector, seqs: readonly number[], what: string): Promise<void> {
  const missing = () => {
    const got = collector.distinct('metrics')
    return seqs.filter((s) => !got.has(s))
  }
  await collector.waitForProgress(() => missing().length === 0, 60_000, what)
  expect(missing()).toEqual([])
}

/**
 * A disk that starts failing with EIO while the agent runs (test/support/powercut-fs.py's fault switch: the errors
 * come from the kernel through FUSE, as a failing disk's do), then recovers.
 */
describe('a disk that fails with EIO, then recovers (FUSE)', () => {
  const suite = mosquittoSuite()
  const dirs = tempDir('edgetwin-disk-errors-')
  afterAll(() => dirs.cleanup())

  /**
   * Mounts a fresh failing-disk filesystem named `name` and a collector on the suite's broker, runs `body` with the
   * agent's data directory on it, then unmounts; returns the backing copy of that directory (what the disk holds).
   */
  async function onDisk(name: string, body: (fs: PowerCutMount, dataDir: string, collector: Collector) => Promise<void>): Promise<string> {
    const backing = join(dirs.dir, `${name}-backing`)
    const fs = await mountPowerCutFs(backing, join(dirs.dir, `${name}-mnt`))
    const collector = await Collector.connect(suite.broker.url, 'dt/edgetwin/turbine/+/metrics', 4)
    try {
      await body(fs, join(fs.mount, 'agent'), collector)
      expect(collector.errors).toEqual([])
    } finally {
      suite.broker.resume()
      await collector.close()
      await fs.cut()
    }
    return join(backing, 'agent')
  }

  /** Stores, turns `fault` on, runs `during`, turns it off; then the agent must go on: accept and deliver everything. */
  async function withFault(fault: Fault, during: (agent: Agent) => Promise<void>): Promise<void> {
    const stored = await onDisk(fault, async (fs, dataDir, collector) => {
      const agent = createAgent(agentConfig(suite.broker.url, dataDir))
      try {
        await agent.start()
        const accepted = (
          await agent.acceptMany(
            'metrics',
            Array.from({ length: 100 }, (_, i) => sample(i)),
          )
        ).map((r) => r.seq!)
        fs.fault(fault)
        await during(agent)
        fs.fault('none')
        for (let i = 0; i < 100; i++) accepted.push((await agent.accept('metrics', sample(1000 + i))).seq!)
        await expectDelivered(collector, accepted, `every accepted record after ${fault}`)
      } finally {
        await agent.close()
      }
    })
    expect(integrityOfCopy(stored), `integrity after ${fault}`).toBe('ok')
  }

  it('fsync failing: accepts reject with AGENT_IO_ERROR while it lasts, and none is reported accepted', async () => {
    await withFault('fsync-eio', async (agent) => {
      const outcomes = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => agent.accept('metrics', sample(500 + i))))
      for (const o of outcomes) {
        expect(o.status).toBe('rejected')
        expect(isAgentError((o as PromiseRejectedResult).reason, 'AGENT_IO_ERROR'), String((o as PromiseRejectedResult).reason)).toBe(true)
      }
      expect(agent.health().lastError?.code).toBe('AGENT_IO_ERROR')
    })
  }, 120_000)

  it('writes failing: accepts reject with AGENT_IO_ERROR (the transaction rolls back), the outbox stays intact', async () => {
    await withFault('write-eio', async (agent) => {
      const outcomes = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => agent.accept('metrics', sample(500 + i))))
      const refused = outcomes.filter((o) => o.status === 'rejected')
      expect(refused.length).toBe(50)
      for (const o of refused) expect(isAgentError((o as PromiseRejectedResult).reason, 'AGENT_IO_ERROR')).toBe(true)
    })
  }, 120_000)

  it('reads failing at start: start() rejects with AGENT_IO_ERROR; once reads work it starts and delivers everything', async () => {
    const stored = await onDisk('read-eio', async (fs, dataDir, collector) => {
      const accepted = await storeOffline(dataDir, 200)
      // A new process opening the outbox reads it from the disk (the mount bypasses the kernel's page cache).
      fs.fault('read-eio')
      await expectStartIoError(suite.broker.url, dataDir)
      fs.fault('none')
      const agent = createAgent(agentConfig(suite.broker.url, dataDir))
      await agent.start()
      await expectDelivered(collector, accepted, 'every record stored before the read errors')
      await agent.close()
    })
    expect(integrityOfCopy(stored)).toBe('ok')
  }, 120_000)

  it("reads failing mid-run, on a backlog larger than SQLite's cache: the agent stays up, reports the read error, and sends everything once reads work", async () => {
    const stored = await onDisk('read-run', async (fs, dataDir, collector) => {
      // ~30,000 records (~7 MB) stored with no broker to send them to: more than SQLite's page cache holds.
      const accepted = await storeOffline(dataDir, 30_000)
      // The broker answers only once the disk has started failing: the backlog's first read fails.
      suite.broker.pause()
      const agent = createAgent(agentConfig(suite.broker.url, dataDir))
      await agent.start()
      fs.fault('read-eio')
      suite.broker.resume()
      // SQLite reports a read the disk failed with EIO as a damaged file (SQLITE_IOERR_CORRUPTFS becomes SQLITE_CORRUPT).
      const readError = () => ['AGENT_IO_ERROR', 'AGENT_DB_CORRUPT'].includes(agent.health().lastError?.code ?? '')
      while (!readError()) await new Promise((r) => setTimeout(r, 20))
      expect(agent.health().lastError?.message).toMatch(/^reading metrics records from the outbox: /)
      fs.fault('none')
      await expectDelivered(collector, accepted, 'the backlog once reads work again')
      await agent.close()
    })
    expect(integrityOfCopy(stored)).toBe('ok')
  }, 180_000)

  it('reads failing past the header at start (SQLite reports the file damaged): the file is left alone, not salvaged', async () => {
    await onDisk('read-start', async (fs, dataDir, collector) => {
      const accepted = await storeOffline(dataDir, 10_000)
      // The header reads, the rest of the file does not: SQLite calls that a malformed database.
      fs.fault('read-eio-from 65536')
      await expectStartIoError(suite.broker.url, dataDir)
      fs.fault('none')
      // Nothing was moved aside or replaced: a disk that cannot read is not a damaged file.
      expect(readdirSync(dataDir).filter((f) => f.includes('damaged'))).toEqual([])
      const agent = createAgent(agentConfig(suite.broker.url, dataDir))
      await agent.start()
      expect(agent.health().lastError).toBeNull()
      await expectDelivered(collector, accepted, 'every record stored before the read errors')
      await agent.close()
    })
  }, 120_000)
})
