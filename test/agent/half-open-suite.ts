import { createAgent } from '@edgetwin/agent'
import { describe, expect, it } from 'vitest'
import { agentConfig, Collector, mosquittoSuite, sample } from './support.js'

/**
 * A half-open connection: the broker process is stopped (SIGSTOP) with its sockets open, so nothing fails
 * at the TCP level; only keepalive (PINGRESP missing) and the acknowledgement watchdog can tell.
 * `broker.keepaliveS` and `publish.ackTimeoutMs` bound how long that takes.
 */
export function halfOpenSuite(pauseMs: number): void {
  describe(`a half-open connection (Mosquitto SIGSTOPped for ${pauseMs / 1000} s)`, () => {
    const suite = mosquittoSuite()

    it(
      'is detected within keepalive + ack timeout, and nothing accepted meanwhile is lost',
      async () => {
        const collector = await Collector.connect(suite.broker.url, 'dt/edgetwin/turbine/+/metrics', 5)
        const keepaliveS = 5
        const ackTimeoutMs = 3000
        const config = agentConfig(suite.broker.url, suite.dir, {
          broker: { url: suite.broker.url, protocolVersion: 5, keepaliveS },
          publish: { ackTimeoutMs },
        })
        delete config.reconnect // default reconnect settings
        const agent = createAgent(config)
        await agent.start()
        const seqs: number[] = []
        let n = 0
        const feed = async (count: number) => {
          for (let i = 0; i < count; i++) seqs.push((await agent.accept('metrics', sample(n++))).seq!)
        }
        try {
          await feed(100)
          await collector.waitFor(() => collector.distinct('metrics').size >= 100, 30_000, 'records before the pause')
          suite.broker.pause()
          const pausedAt = Date.now()
          let detectedAfterMs: number | undefined
          while (Date.now() - pausedAt < pauseMs) {
            await feed(10)
            if (detectedAfterMs === undefined && agent.health().connection !== 'connected') detectedAfterMs = Date.now() - pausedAt
            await new Promise((r) => setTimeout(r, 100))
          }
          suite.broker.resume()
          console.log(`half-open: detected after ${detectedAfterMs} ms (keepalive ${keepaliveS} s, ack timeout ${ackTimeoutMs} ms)`)
          // Detected while the broker was still stopped, by the watchdog (records were waiting) or keepalive.
          expect(detectedAfterMs).toBeDefined()
          expect(agent.health().lastError?.code).toMatch(/AGENT_ACK_TIMEOUT|AGENT_MQTT_ERROR/)
          await collector.waitForProgress(() => collector.distinct('metrics').size >= seqs.length, 90_000, `all ${seqs.length} records`)
          const got = collector.distinct('metrics')
          expect(seqs.filter((s) => !got.has(s))).toEqual([])
          expect(collector.errors).toEqual([])
        } finally {
          await agent.close()
          await collector.close()
        }
      },
      pauseMs + 240_000,
    )
  })
}
