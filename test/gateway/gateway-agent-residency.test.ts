import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Agent, createAgent } from '@edgetwin/agent'
import { type BatchEnvelope, decodeEnvelope } from '@edgetwin/shared-schemas'
import mqtt, { type MqttClient } from 'mqtt'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type MosquittoHandle, startMosquitto } from '../support/mosquitto.js'
import { capturedLogger, waitFor } from './helpers.js'
import { type PostgresHandle, startPostgres } from './postgres.js'

const PASSWORD = 'residency-Pa55-91ab'
const AGGREGATE_FIELDS = ['windowStart', 'windowEnd', 'sourceId', 'metric', 'count', 'mean', 'max', 'alarms']
const EVENT_FIELDS = ['time', 'type', 'severity', 'data']
const EVENT_DATA_KEYS = ['alarm', 'sourceId', 'metric']

let server: PostgresHandle
let broker: MosquittoHandle
let site: pg.Client
let dataDir: string

beforeAll(async () => {
  ;[server, broker] = await Promise.all([startPostgres(), startMosquitto({ persistence: false })])
  await server.createUserAndDatabase('gateway', PASSWORD, 'plant')
  site = await server.admin('plant')
  await site.query(`CREATE TABLE readings (id bigserial PRIMARY KEY, device_id text NOT NULL, ts timestamptz NOT NULL,
    vibration_mms double precision, note text NOT NULL)`)
  await site.query('ALTER TABLE readings OWNER TO gateway')
  // Three past minutes for two machines; one machine vibrates above the alarm threshold in minute 2.
  const values: string[] = []
  for (let m = 0; m < 3; m++) {
    for (let i = 0; i < 12; i++) {
      for (const device of ['press-1', 'press-2']) {
        const v = device === 'press-2' && m === 2 ? 9 + i / 10 : 1 + i / 10
        values.push(
          `('${device}', '2024-03-01T08:0${m}:${String(i * 5).padStart(2, '0')}Z', ${v}, 'RAW-ROW operator=J.Doe batch=${m}-${i}')`,
        )
      }
    }
  }
  await site.query(`INSERT INTO readings (device_id, ts, vibration_mms, note) VALUES ${values.join(',')}`)
  dataDir = mkdtempSync(join(tmpdir(), 'edgetwin-gw-agent-'))
})

afterAll(async () => {
  await site?.end()
  await Promise.allSettled([server?.destroy(), broker?.stop()])
  if (broker) rmSync(broker.dir, { recursive: true, force: true })
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

interface Seen {
  topic: string
  text: string
  envelope: BatchEnvelope | null
}

async function subscribeAll(): Promise<{ client: MqttClient; seen: Seen[] }> {
  const seen: Seen[] = []
  const client = await mqtt.connectAsync(broker.url, { clientId: `everything-${process.pid}`, protocolVersion: 4 })
  client.on('message', (topic, payload) => {
    let envelope: BatchEnvelope | null = null
    try {
      envelope = decodeEnvelope(payload)
    } catch {
      envelope = null
    }
    seen.push({ topic, text: envelope ? JSON.stringify(envelope) : payload.toString('latin1'), envelope })
  })
  await client.subscribeAsync('#', { qos: 1 })
  return { client, seen }
}

function agentConfig() {
  return {
    deviceId: 'gw-plant-1',
    kind: 'gateway',
    dataDir,
    broker: { url: broker.url },
    healthIntervalS: 1,
    logLevel: 'debug',
    gateway: {
      database: { host: '127.0.0.1', port: server.port, database: 'plant', user: 'gateway', password: { env: 'PLANT_DB_PASSWORD' } },
      postgres: [
        {
          name: 'presses',
          table: 'readings',
          watermark: { column: 'id', type: 'integer' },
          deviceColumn: 'device_id',
          timeColumn: 'ts',
          metricColumns: ['vibration_mms'],
          pollIntervalMs: 100,
          batchSize: 20,
        },
      ],
      processing: {
        windowS: 60,
        alarms: [{ name: 'vibration-high', metric: 'vibration_mms', stat: 'p95', above: 8, severity: 'critical' }],
      },
      residency: {
        allow: [
          { stream: 'aggregate', fields: AGGREGATE_FIELDS },
          { stream: 'events', fields: [...EVENT_FIELDS.filter((f) => f !== 'data'), ...EVENT_DATA_KEYS.map((k) => `data.${k}`)] },
        ],
      },
      retryDelayMs: 50,
    },
  }
}

describe('gateway agent: data residency against Mosquitto and PostgreSQL', () => {
  let agent: Agent
  it('publishes only allowed streams and fields; raw rows and raw records never reach the broker', async () => {
    const { client, seen } = await subscribeAll()
    const log = capturedLogger()
    agent = createAgent(agentConfig(), { logger: log.logger, env: { PLANT_DB_PASSWORD: PASSWORD } })
    await agent.start()

    // Records handed to the agent directly pass the same gate: a raw turbine sample is kept on site...
    const raw = {
      time: '2024-03-01T08:00:00Z',
      windSpeedMps: 5,
      rotorSpeedRpm: 7,
      generatorSpeedRpm: 700,
      generatorPowerKw: 1234.5,
      generatorTorqueKnm: 10,
      bladePitchDeg: 1,
      alarms: [],
    }
    expect(await agent.accept('metrics', raw)).toEqual({ seq: null, filtered: 'residency' })
    // ...an event loses its free text and every data key not on the list...
    const event = {
      time: '2024-03-01T08:00:00Z',
      type: 'operator.note',
      severity: 'info',
      message: 'RAW-ROW operator=J.Doe',
      data: { alarm: 'manual', note: 'RAW-ROW operator=J.Doe' },
    }
    expect(await agent.accept('events', event)).toEqual({ seq: expect.any(Number) })
    // ...and a record that is not valid for its stream is still rejected as invalid.
    await expect(agent.accept('aggregate', { note: 'RAW-ROW' })).rejects.toMatchObject({ code: 'AGENT_INVALID_RECORD' })

    // 3 minutes × 2 presses closed (minute 2 by the clock once caught up) + 1 alarm + the operator event.
    const records = () =>
      seen.flatMap((s) => (s.envelope ? s.envelope.records.map((r) => ({ stream: s.envelope!.stream, data: r.data })) : []))
    await waitFor(() => records().filter((r) => r.stream === 'aggregate').length >= 6, 'six aggregates at the broker')
    await waitFor(
      () => records().some((r) => r.stream === 'events' && (r.data as { type: string }).type === 'gateway.threshold'),
      'the alarm',
    )
    // Health reports tick every second but 'health' is not on the allow-list: give one a chance to (not) arrive.
    await new Promise((r) => setTimeout(r, 1300))
    await agent.close()
    await client.endAsync()

    expect(seen.length).toBeGreaterThan(0)
    for (const s of seen) {
      expect(s.topic).toMatch(/^dt\/edgetwin\/gateway\/gw-plant-1\/(aggregate|events)$/)
      expect(s.envelope, `undecodable message on ${s.topic}`).not.toBeNull()
      expect(s.text).not.toContain('RAW-ROW')
      expect(s.text).not.toContain('J.Doe')
    }
    for (const r of records()) {
      const data = r.data as Record<string, unknown>
      if (r.stream === 'aggregate') {
        for (const k of Object.keys(data)) expect(AGGREGATE_FIELDS).toContain(k)
        expect(data).not.toHaveProperty('min')
        expect(data).not.toHaveProperty('p95')
      } else {
        for (const k of Object.keys(data)) expect(EVENT_FIELDS).toContain(k)
        for (const k of Object.keys((data.data as object) ?? {})) expect(EVENT_DATA_KEYS).toContain(k)
        expect(data).not.toHaveProperty('message')
      }
    }
    const aggregates = records()
      .filter((r) => r.stream === 'aggregate')
      .map((r) => r.data as { sourceId: string; windowStart: string; count: number; alarms?: string[] })
    expect(aggregates.map((a) => `${a.sourceId}@${a.windowStart}:${a.count}${a.alarms ? `!${a.alarms}` : ''}`).sort()).toEqual([
      'press-1@2024-03-01T08:00:00.000Z:12',
      'press-1@2024-03-01T08:01:00.000Z:12',
      'press-1@2024-03-01T08:02:00.000Z:12',
      'press-2@2024-03-01T08:00:00.000Z:12',
      'press-2@2024-03-01T08:01:00.000Z:12',
      'press-2@2024-03-01T08:02:00.000Z:12!vibration-high',
    ])
    expect(records().find((r) => (r.data as { type?: string }).type === 'operator.note')?.data).toEqual({
      time: '2024-03-01T08:00:00Z',
      type: 'operator.note',
      severity: 'info',
      data: { alarm: 'manual' },
    })

    // On site, the results table has everything, including the fields that may not leave.
    const written = await site.query('SELECT device_id, count, min, p95, alarms FROM results_proc ORDER BY device_id, window_start')
    expect(written.rows).toHaveLength(6)
    expect(written.rows[5]).toMatchObject({ device_id: 'press-2', count: 12, min: 9, p95: 10.1, alarms: ['vibration-high'] })
    expect(log.text()).not.toContain(PASSWORD)
  })
})
