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
        reconnect: {}, // the defaults: 1 s initial, 60 s cap, 30 s stable
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
      await collector.waitForProgress(() => collector.distinct('metrics').size >= 100, 30_000, 'records before the outage')
      // Stop the broker mid-stream, while batches are still in flight (read and sent again after the reconnect).
      const feeding = Promise.all(Array.from({ length: 2000 }, () => feed(1)))
      const inflightAtStop = agent.health().inflight
      await broker.stop()
      await feeding
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
      // After 30 s down the backoff may wait up to its 60 s cap before the next attempt: wait on progress.
      await collector.waitForProgress(() => collector.distinct('metrics').size >= seqs.length, 90_000, `all ${seqs.length} records`)
      const got = collector.distinct('metrics')
      expect(seqs.filter((s) => !got.has(s))).toEqual([])
      expect(collector.errors).toEqual([])
      expect(agent.health().counters.reconnects).toBeGreaterThanOrEqual(1)
      // Every batch in flight when the broker went away was sent again and acknowledged:
      // nothing stays stuck in the window and every row is deleted.
      for (let i = 0; i < 400 && (agent.health().queueDepth > 0 || agent.health().inflight > 0); i++)
        await new Promise((r) => setTimeout(r, 50))
      expect(agent.health()).toMatchObject({ queueDepth: 0, inflight: 0 })
      expect(agent.health().counters.acked).toBe(seqs.length)
      console.log(`outage: ${seqs.length} records, ${inflightAtStop} batches in flight when the broker stopped`)
    } finally {
      await agent.close()
      await collector.close()
    }
  }, 300_000)
})
