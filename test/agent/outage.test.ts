import { createAgent } from '@edgetwin/agent'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type MosquittoHandle, startMosquitto } from '../support/mosquitto.js'
import { agentConfig, Collector, sample, tempDir } from './support.js'

const OUTAGE_MS = 30_000

describe('broker outage', () => {
  let broker: MosquittoHandle
  const tmp = tempDir()
  beforeAll(async () => {
    broker = await startMosquitto()
  })
  afterAll(async () => {
    await broker?.stop()
    tmp.cleanup()
  })

  it('loses nothing accepted while Mosquitto is stopped for 30 s', async () => {
    const collector = await Collector.connect(broker.url, 'dt/edgetwin/turbine/+/metrics', 5)
    const agent = createAgent(
      agentConfig(broker.url, tmp.dir, {
        broker: { url: broker.url, protocolVersion: 5 },
        reconnect: { initialDelayMs: 100, maxDelayMs: 2000, stableAfterMs: 5000 },
      }),
    )
    await agent.start()
    const seqs: number[] = []
    let n = 0
    const feed = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const r = await agent.accept('metrics', sample(n++))
        if (r.seq !== null) seqs.push(r.seq)
      }
    }
    try {
      await feed(200)
      await collector.waitFor(() => collector.distinct('metrics').size >= 200, 10_000, 'records before the outage')
      await broker.stop()
      const outageEnd = Date.now() + OUTAGE_MS
      // Records keep arriving during the outage: 20 every 100 ms.
      while (Date.now() < outageEnd) {
        await Promise.all(Array.from({ length: 20 }, () => feed(1)))
        await new Promise((r) => setTimeout(r, 100))
      }
      const during = agent.health()
      expect(during.connection).not.toBe('connected')
      expect(during.queueDepth).toBeGreaterThan(1000)
      await broker.start()
      await feed(200)
      await collector.waitFor(() => collector.distinct('metrics').size >= seqs.length, 30_000, `all ${seqs.length} records`)
      const got = collector.distinct('metrics')
      expect(seqs.filter((s) => !got.has(s))).toEqual([])
      expect(collector.errors).toEqual([])
      expect(agent.health().counters.reconnects).toBeGreaterThanOrEqual(1)
    } finally {
      await agent.close()
      await collector.close()
    }
  }, 90_000)
})
