import { createAgent } from '@edgetwin/agent'
import { type EmbeddedBroker, startEmbeddedBroker } from '@edgetwin/cloud'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type MosquittoHandle, startMosquitto } from '../support/mosquitto.js'
import { agentConfig, Collector, sample, tempDir } from './support.js'

const N = 3000

async function deliverAll(url: string, protocolVersion: 4 | 5) {
  const tmp = tempDir()
  const collector = await Collector.connect(url, 'dt/edgetwin/turbine/+/metrics', protocolVersion)
  const agent = createAgent(
    agentConfig(url, tmp.dir, {
      broker: { url, protocolVersion },
      publish: { maxRecordsPerBatch: 97, inflightWindow: 10 },
    }),
  )
  try {
    await agent.start()
    const results = await Promise.all(Array.from({ length: N }, (_, i) => agent.accept('metrics', sample(i))))
    expect(results.map((r) => r.seq)).toEqual(Array.from({ length: N }, (_, i) => i + 1))
    await collector.waitFor(() => collector.distinct('metrics').size >= N, 20_000, `${N} records`)
    // Order: sequence numbers arrive in increasing order, and each carries its own record.
    const seqs = collector.seqs('metrics')
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    expect(new Set(seqs).size).toBe(N)
    for (const r of collector.records) expect((r.data as { generatorPowerKw: number }).generatorPowerKw).toBe(r.seq - 1)
    expect(collector.errors).toEqual([])
    // Rows are deleted once acknowledged (in the next group commit: wait for it, not for a fixed time).
    for (let i = 0; i < 400 && agent.health().queueDepth > 0; i++) await new Promise((r) => setTimeout(r, 25))
    const h = agent.health()
    expect(h.queueDepth).toBe(0)
    expect(h.counters.accepted).toBe(N)
    expect(h.counters.acked).toBe(N)
    expect(h.connection).toBe('connected')
  } finally {
    await agent.close()
    await collector.close()
    tmp.cleanup()
  }
}

describe('agent delivery through aedes (MQTT 3.1.1)', () => {
  let broker: EmbeddedBroker
  beforeAll(async () => {
    broker = await startEmbeddedBroker({ port: 0 })
  })
  afterAll(async () => broker?.close())

  it('delivers every accepted record once, in order', async () => {
    await deliverAll(broker.url, 4)
  })
})

describe('agent delivery through Mosquitto', () => {
  let broker: MosquittoHandle
  beforeAll(async () => {
    broker = await startMosquitto()
  })
  afterAll(async () => broker?.stop())

  it('delivers every accepted record in order over MQTT 3.1.1', async () => {
    await deliverAll(broker.url, 4)
  })

  it('delivers every accepted record in order over MQTT 5', async () => {
    await deliverAll(broker.url, 5)
  })
})
