import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createAgent } from '@edgetwin/agent'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type MosquittoHandle, startMosquitto } from '../support/mosquitto.js'
import { agentConfig, Collector, sample, tempDir } from './support.js'

const event = (i: number) => ({
  time: new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString(),
  type: 'test.event',
  severity: 'info' as const,
})

/**
 * Mosquitto's ACL lets the device publish metrics but not events. Under MQTT 3.1.1 Mosquitto 2 answers a denied
 * publish by closing the connection (there is no PUBACK reason code to say no).
 */
export function refusalSuite(protocolVersion: 4 | 5, runMs: number): void {
  describe(`a stream the broker refuses (MQTT ${protocolVersion === 4 ? '3.1.1' : '5'}, default reconnect settings)`, () => {
    let broker: MosquittoHandle
    const tmp = tempDir()
    beforeAll(async () => {
      const acl = join(tmp.dir, 'acl')
      writeFileSync(acl, 'topic write dt/edgetwin/turbine/+/metrics\ntopic read #\n', { mode: 0o644 })
      chmodSync(tmp.dir, 0o755) // Mosquitto started as root reads the ACL as its own user
      broker = await startMosquitto({ extraConfig: `acl_file ${acl}` })
    })
    afterAll(async () => {
      await broker?.stop()
      tmp.cleanup()
    })

    it(
      'never starves the allowed stream: p99 latency under 5 s, at most 1 reconnect/s, refused records quarantined',
      async () => {
        const collector = await Collector.connect(broker.url, 'dt/edgetwin/turbine/+/+', protocolVersion)
        // Agent defaults for reconnect (1 s initial, 60 s max, 30 s stable) and publishing.
        const config = agentConfig(broker.url, join(tmp.dir, 'agent'), {
          broker: { url: broker.url, protocolVersion },
          logLevel: process.env.DBG_LOG ?? 'silent',
        })
        delete config.reconnect
        const agent = createAgent(config)
        await agent.start()
        const acceptedAt = new Map<number, number>()
        const startMs = Date.now()
        let i = 0
        try {
          // ~9 allowed and 2 refused records a second, as in the run.
          while (Date.now() - startMs < runMs) {
            for (let k = 0; k < 9; k++) {
              const r = await agent.accept('metrics', sample(i++))
              acceptedAt.set(r.seq!, Date.now())
            }
            await agent.accept('events', event(i))
            await agent.accept('events', event(i + 1))
            await new Promise((r) => setTimeout(r, 1000))
          }
          const elapsedS = (Date.now() - startMs) / 1000
          await collector.waitFor(
            () => collector.distinct('metrics').size >= acceptedAt.size,
            60_000,
            `all ${acceptedAt.size} allowed records`,
          )
          const latencies = [...acceptedAt].map(
            ([seq, at]) => collector.records.find((r) => r.stream === 'metrics' && r.seq === seq)!.receivedAtMs - at,
          )
          latencies.sort((a, b) => a - b)
          const p99 = latencies[Math.ceil(latencies.length * 0.99) - 1]!
          const h = agent.health()
          console.log(
            `refusal MQTT ${protocolVersion}: ${acceptedAt.size} allowed in ${elapsedS.toFixed(0)} s, p99 ${p99} ms, max ${latencies.at(-1)} ms, ${h.counters.reconnects} reconnects, ${h.counters.quarantined} quarantined`,
          )
          expect(p99).toBeLessThan(5000)
          expect(h.counters.reconnects).toBeLessThanOrEqual(Math.ceil(elapsedS))
          expect(h.counters.quarantined).toBeGreaterThan(0)
          expect(collector.seqs('events')).toEqual([])
          // Every record quarantined was refused (not the last error: a connection error after a refusal may follow it).
          expect(h.counters.quarantinedRefused).toBe(h.counters.quarantined)
          // Connected again (Mosquitto may just have closed the connection over a refused publish).
          for (let k = 0; k < 600 && agent.health().connection !== 'connected'; k++) await new Promise((r) => setTimeout(r, 50))
          expect(agent.health().connection).toBe('connected')
        } finally {
          await agent.close()
          await collector.close()
        }
      },
      runMs + 120_000,
    )
  })
}
