import { createAgent } from '@edgetwin/agent'
import { startEmbeddedBroker } from '@edgetwin/cloud'
import { describe, expect, it } from 'vitest'
import { agentConfig, Collector, sample, tempDir } from './support.js'

describe('acknowledgement watchdog', () => {
  it('drops a connection whose broker never acknowledges, reconnects and delivers', async () => {
    const broker = await startEmbeddedBroker({ port: 0 })
    // The broker swallows the agent's first PUBLISH: no PUBACK ever comes for it on that connection.
    let swallowed = 0
    broker.aedes.authorizePublish = (client, packet, callback) => {
      if (client?.id === 'turbine-1' && packet.topic.endsWith('/metrics') && swallowed === 0) {
        swallowed++
        return
      }
      callback(null)
    }
    const tmp = tempDir()
    const collector = await Collector.connect(broker.url, 'dt/edgetwin/turbine/+/metrics')
    const agent = createAgent(agentConfig(broker.url, tmp.dir, { publish: { ackTimeoutMs: 500 } }))
    await agent.start()
    try {
      const { seq } = await agent.accept('metrics', sample(1))
      await collector.waitFor(() => collector.distinct('metrics').has(seq!), 15_000, 'the record after the watchdog reconnected')
      for (let i = 0; i < 100 && agent.health().queueDepth > 0; i++) await new Promise((r) => setTimeout(r, 20))
      const h = agent.health()
      expect(swallowed).toBe(1)
      expect(h.counters.reconnects).toBeGreaterThanOrEqual(1)
      expect(h.queueDepth).toBe(0)
      expect(h.lastError?.code).toBe('AGENT_ACK_TIMEOUT')
    } finally {
      await agent.close()
      await collector.close()
      await broker.close()
      tmp.cleanup()
    }
  })
})
