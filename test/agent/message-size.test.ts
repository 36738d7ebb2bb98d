import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { createAgent } from '@edgetwin/agent'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import type { MosquittoHandle } from '../support/mosquitto.js'
import { agentConfig, Collector, mosquittoSuite, sample } from './support.js'

/** An event of ~8 KB that gzip cannot shrink below the broker's 4096-byte limit (random text). */
const bigEvent = () => ({
  time: '2024-01-01T00:00:00.000Z',
  type: 'test.big',
  severity: 'info' as const,
  data: Object.fromEntries(Array.from({ length: 8 }, (_, k) => [`blob${k}`, randomBytes(750).toString('base64')])),
})

async function sendAroundBigRecord(broker: MosquittoHandle, dataDir: string, protocolVersion: 4 | 5, deviceId: string) {
  const collector = await Collector.connect(broker.url, `dt/edgetwin/turbine/${deviceId}/+`, protocolVersion)
  // Agent defaults (batch size, compression, reconnect); only the broker differs.
  const config = agentConfig(broker.url, dataDir, { deviceId, broker: { url: broker.url, protocolVersion } })
  delete config.reconnect
  const agent = createAgent(config)
  await agent.start()
  const before = await Promise.all(Array.from({ length: 20 }, (_, i) => agent.accept('metrics', sample(i))))
  const big = await agent.accept('events', bigEvent())
  const after: { seq: number | null }[] = []
  for (let i = 0; i < 20; i++) after.push(await agent.accept('metrics', sample(100 + i)))
  const small = await agent.accept('events', { time: '2024-01-01T00:00:01.000Z', type: 'test.small', severity: 'info' })
  return { collector, agent, before, big, after, small }
}

describe('one message over the broker size limit (Mosquitto message_size_limit 4096)', () => {
  const suite = mosquittoSuite({ extraConfig: 'message_size_limit 4096' })

  it('MQTT 5: the record too large is quarantined with its reason; every other record flows', async () => {
    const dataDir = join(suite.dir, 'v5')
    const { collector, agent, before, big, after, small } = await sendAroundBigRecord(suite.broker, dataDir, 5, 'size-v5')
    try {
      const metrics = [...before, ...after].map((r) => r.seq)
      await collector.waitFor(
        () => metrics.every((s) => collector.distinct('metrics').has(s!)) && collector.distinct('events').has(small.seq!),
        60_000,
        'every record but the large one',
      )
      for (let i = 0; i < 400 && agent.health().counters.quarantined === 0; i++) await new Promise((r) => setTimeout(r, 50))
      expect(collector.distinct('events').has(big.seq!)).toBe(false)
      expect(agent.health().counters).toMatchObject({ quarantined: 1, quarantinedTooLarge: 1, quarantinedRefused: 0 })
      expect(agent.health().lastError?.code).toBe('AGENT_MESSAGE_TOO_LARGE')
    } finally {
      await agent.close()
      await collector.close()
    }
    const db = new Database(join(dataDir, 'outbox.db'), { readonly: true })
    const q = db.prepare('SELECT stream, first_seq, last_seq, reason FROM quarantine').all() as {
      stream: string
      first_seq: number
      last_seq: number
      reason: string
    }[]
    db.close()
    expect(q).toHaveLength(1)
    expect(q[0]).toMatchObject({ stream: 'events', first_seq: big.seq, last_seq: big.seq })
    expect(q[0]!.reason).toMatch(/too large/)
  })

  it('MQTT 3.1.1: Mosquitto acknowledges the large message and closes the connection; it is quarantined, the rest flows', async () => {
    const { collector, agent, before, big, after, small } = await sendAroundBigRecord(suite.broker, join(suite.dir, 'v4'), 4, 'size-v4')
    try {
      const metrics = [...before, ...after].map((r) => r.seq)
      await collector.waitFor(
        () => metrics.every((s) => collector.distinct('metrics').has(s!)) && collector.distinct('events').has(small.seq!),
        60_000,
        'every record but the large one',
      )
      for (let i = 0; i < 400 && agent.health().counters.quarantined === 0; i++) await new Promise((r) => setTimeout(r, 50))
      // 3.1.1 has no reason code: the PUBACK said yes, the close right after it says no.
      expect(collector.distinct('events').has(big.seq!)).toBe(false)
      // ... so it is counted as refused: under 3.1.1 a size limit and an ACL look the same (README, known limits).
      expect(agent.health().counters).toMatchObject({ quarantined: 1, quarantinedRefused: 1, quarantinedTooLarge: 0 })
      expect(agent.health().lastError?.code).toBe('AGENT_PUBLISH_REFUSED')
    } finally {
      await agent.close()
      await collector.close()
    }
  })
})

describe('a broker that announces its Maximum Packet Size (MQTT 5 CONNACK, Mosquitto max_packet_size 4096)', () => {
  const suite = mosquittoSuite({ extraConfig: 'max_packet_size 4096' })

  it('batches within the limit and quarantines the single record that cannot fit, without sending it', async () => {
    const { collector, agent, before, big, after, small } = await sendAroundBigRecord(
      suite.broker,
      join(suite.dir, 'announced'),
      5,
      'announced',
    )
    try {
      const metrics = [...before, ...after].map((r) => r.seq)
      await collector.waitFor(
        () => metrics.every((s) => collector.distinct('metrics').has(s!)) && collector.distinct('events').has(small.seq!),
        60_000,
        'every record but the large one',
      )
      for (let i = 0; i < 400 && agent.health().counters.quarantined === 0; i++) await new Promise((r) => setTimeout(r, 50))
      expect(collector.distinct('events').has(big.seq!)).toBe(false)
      expect(agent.health().counters.quarantined).toBe(1)
      expect(agent.health().counters.reconnects).toBe(0)
      expect(agent.health().lastError?.code).toBe('AGENT_MESSAGE_TOO_LARGE')
    } finally {
      await agent.close()
      await collector.close()
    }
  })
})
