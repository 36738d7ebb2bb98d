import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createAgent } from '@edgetwin/agent'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type MosquittoHandle, startMosquitto } from '../support/mosquitto.js'
import { agentConfig, Collector, sample, tempDir } from './support.js'

const event = (i: number) => ({
  time: new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString(),
  type: 'test.event',
  severity: 'info' as const,
})

describe('a batch the broker refuses (MQTT 5 reason code >= 0x80)', () => {
  let broker: MosquittoHandle
  const tmp = tempDir()
  beforeAll(async () => {
    // The ACL lets the device publish metrics but not events: Mosquitto answers a denied QoS 1 PUBLISH from
    // an MQTT 5 client with PUBACK 0x87 (not authorized), as AWS IoT Core does for a policy denial.
    const acl = join(tmp.dir, 'acl')
    writeFileSync(acl, 'topic write dt/edgetwin/turbine/+/metrics\ntopic read #\n', { mode: 0o644 })
    // Mosquitto started as root drops to its own user before reading the ACL file.
    chmodSync(tmp.dir, 0o755)
    broker = await startMosquitto({ extraConfig: `acl_file ${acl}` })
  })
  afterAll(async () => {
    await broker?.stop()
    tmp.cleanup()
  })

  it('is retried, then quarantined, and does not block the records behind it', async () => {
    const collector = await Collector.connect(broker.url, 'dt/edgetwin/turbine/+/+', 5)
    const dataDir = join(tmp.dir, 'agent')
    const agent = createAgent(
      agentConfig(broker.url, dataDir, {
        broker: { url: broker.url, protocolVersion: 5 },
        publish: { maxRefusals: 3, refusedStreamHoldS: 0.5 },
      }),
    )
    await agent.start()
    try {
      const refused = await agent.accept('events', event(0))
      const metrics = await Promise.all([1, 2, 3].map((i) => agent.accept('metrics', sample(i))))
      // Waits are bounded by the test's timeout, not by a deadline of their own: a loaded machine only makes them longer.
      await collector.waitFor(() => collector.distinct('metrics').size >= 3, 110_000, 'the metrics')
      while (agent.health().counters.quarantined === 0 || agent.health().queueDepth > 0) await new Promise((r) => setTimeout(r, 50))
      expect([...collector.distinct('metrics')]).toEqual(metrics.map((s) => s.seq))
      expect(collector.seqs('events')).toEqual([])
      const h = agent.health()
      expect(h.counters.quarantined).toBe(1)
      expect(h.queueDepth).toBe(0)
      expect(h.lastError?.code).toBe('AGENT_PUBLISH_REFUSED')
      // The queue moves on: a later event is tried (and refused) too, rather than stuck behind the first.
      await agent.accept('events', event(4))
      while (agent.health().counters.quarantined < 2) await new Promise((r) => setTimeout(r, 50))
      expect(agent.health().counters).toMatchObject({
        quarantined: 2,
        quarantinedRefused: 2,
        quarantinedTooLarge: 0,
        quarantinedDamaged: 0,
      })
      await agent.close()
      const db = new Database(join(dataDir, 'outbox.db'), { readonly: true })
      expect(db.prepare('SELECT stream, first_seq, last_seq, reason_code FROM quarantine ORDER BY id').all()).toEqual([
        { stream: 'events', first_seq: refused.seq, last_seq: refused.seq, reason_code: 0x87 },
        { stream: 'events', first_seq: refused.seq! + 1, last_seq: refused.seq! + 1, reason_code: 0x87 },
      ])
      db.close()
    } finally {
      await agent.close()
      await collector.close()
    }
  }, 120_000)
})
