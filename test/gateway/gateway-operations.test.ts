import { createHmac } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createAgent, createGateway, type Gateway } from '@edgetwin/agent'
import {
  createValidator,
  decodeEnvelope,
  type GatewayProfileConfig,
  GatewayProfileConfig as GatewaySchema,
  parseConfig,
} from '@edgetwin/shared-schemas'
import mqtt from 'mqtt'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type MosquittoHandle, startMosquitto } from '../support/mosquitto.js'
import { capturedLogger, waitFor } from './helpers.js'
import { type PostgresHandle, startPostgres } from './postgres.js'

// A plant operator's months, shortened: a backlog, one-hour windows, late rows and clock skew, identities that
// must stay on site, and database errors that quote row values. Each against the real PostgreSQL 15.

const PASSWORD = 'ops-Pa55-5e1d'
const PSEUDONYM_KEY = 'site-secret-for-pseudonyms-0123456789'
const BASE_MS = Date.UTC(2031, 4, 1, 0, 0, 0)
const at = (s: number) => new Date(BASE_MS + s * 1000).toISOString()

let server: PostgresHandle
let broker: MosquittoHandle
let site: pg.Client
const dirs: string[] = []
const gatewayConfig = createValidator(GatewaySchema)

beforeAll(async () => {
  ;[server, broker] = await Promise.all([startPostgres(), startMosquitto({ persistence: false })])
  await server.createUserAndDatabase('gateway', PASSWORD, 'plant')
  site = await server.admin('plant')
})
afterAll(async () => {
  await site?.end()
  await Promise.allSettled([server?.destroy(), broker?.stop()])
  if (broker) rmSync(broker.dir, { recursive: true, force: true })
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'edgetwin-gw-ops-'))
  dirs.push(d)
  return d
}

async function createTable(name: string, valueType = 'double precision'): Promise<void> {
  await site.query(`CREATE TABLE ${name} (id bigserial PRIMARY KEY, device_id text NOT NULL, ts timestamptz NOT NULL, v ${valueType})`)
  await site.query(`ALTER TABLE ${name} OWNER TO gateway`)
}

async function insertRows(table: string, rows: ReadonlyArray<readonly [string, number, number | string]>): Promise<number> {
  const r = await site.query(
    `INSERT INTO ${table} (device_id, ts, v) SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[]::${table === 'notes' ? 'text' : 'float8'}[]) RETURNING id`,
    [rows.map((x) => x[0]), rows.map((x) => at(x[1])), rows.map((x) => String(x[2]))],
  )
  return Math.max(...r.rows.map((x) => Number(x.id)))
}

function config(
  table: string,
  results: string,
  extra: Record<string, unknown> = {},
  processing: Record<string, unknown> = {},
): GatewayProfileConfig {
  return parseConfig(gatewayConfig, {
    database: { host: '127.0.0.1', port: server.port, database: 'plant', user: 'gateway', password: { env: 'SITE_DB_PASSWORD' } },
    postgres: [
      {
        name: 'meters',
        table,
        watermark: { column: 'id', type: 'integer' },
        deviceColumn: 'device_id',
        timeColumn: 'ts',
        metricColumns: ['v'],
        pollIntervalMs: 50,
        batchSize: 200,
      },
    ],
    processing: { windowS: 60, ...processing },
    results: { table: results },
    residency: { allow: [] },
    retryDelayMs: 50,
    maxRetryDelayMs: 200,
    ...extra,
  })
}

function startGateway(cfg: GatewayProfileConfig, clock: { ms: number }, dataDir = tempDir()) {
  const emitted: Array<{ stream: string; record: Record<string, unknown> }> = []
  const log = capturedLogger()
  const gateway: Gateway = createGateway(cfg, {
    dataDir,
    logger: log.logger,
    emit: async (stream, record) => {
      emitted.push({ stream, record: record as Record<string, unknown> })
    },
    secrets: { env: { SITE_DB_PASSWORD: PASSWORD, PSEUDONYM_KEY } },
    now: () => clock.ms,
  })
  return { gateway, emitted, log }
}

const source = (g: Gateway) => g.status().sources.find((s) => s.name === 'meters')

/** What the site database itself says each window of `table` holds (percentile_disc is the nearest rank). */
async function expectedWindows(table: string, unit: 'minute' | 'hour' = 'minute') {
  const r =
    await site.query(`SELECT device_id, (extract(epoch FROM date_trunc('${unit}', ts)) * 1000)::float8 AS start_ms, count(*)::int AS count,
      min(v) AS min, max(v) AS max, percentile_disc(0.95) WITHIN GROUP (ORDER BY v) AS p95
    FROM ${table} GROUP BY 1, 2 ORDER BY 1, 2`)
  return r.rows.map((x) => ({ device_id: x.device_id, start_ms: Number(x.start_ms), count: x.count, min: x.min, max: x.max, p95: x.p95 }))
}

async function storedWindows(results: string) {
  const r = await site.query(`SELECT device_id, (extract(epoch FROM window_start) * 1000)::float8 AS start_ms, count, min, max, p95
    FROM ${results} ORDER BY 1, 2`)
  return r.rows.map((x) => ({ device_id: x.device_id, start_ms: Number(x.start_ms), count: x.count, min: x.min, max: x.max, p95: x.p95 }))
}

describe('gateway operations against a real PostgreSQL 15', () => {
  it('sends a backlog of closed windows through the outbox in batches, not one MQTT message per window', async () => {
    await createTable('backlog')
    const rows: Array<[string, number, number]> = []
    for (let m = 0; m < 150; m++) for (const d of ['kiln-1', 'kiln-2']) rows.push([d, m * 60 + 7, m + (d === 'kiln-2' ? 0.5 : 0)])
    await insertRows('backlog', rows)
    const seen: Array<{ topic: string; records: number }> = []
    const sub = await mqtt.connectAsync(broker.url, { clientId: `backlog-${process.pid}`, protocolVersion: 4 })
    sub.on('message', (topic, payload) => seen.push({ topic, records: decodeEnvelope(payload).records.length }))
    await sub.subscribeAsync('dt/edgetwin/gateway/gw-backlog/aggregate', { qos: 1 })
    const agentLog = capturedLogger()
    const agent = createAgent(
      {
        deviceId: 'gw-backlog',
        kind: 'gateway',
        dataDir: tempDir(),
        broker: { url: broker.url },
        gateway: {
          ...config('backlog', 'results_backlog'),
          residency: { allow: [{ stream: 'aggregate', fields: ['windowStart', 'windowEnd', 'sourceId', 'metric', 'count', 'mean'] }] },
        },
      },
      { logger: agentLog.logger, env: { SITE_DB_PASSWORD: PASSWORD } },
    )
    await agent.start()
    try {
      // 300 windows; all but the last two minutes close by event time (a reading 30 s past a window's end closes
      // it; the clock, in 2026, is years before these rows, so nothing closes by the clock).
      const total = () => seen.reduce((n, s) => n + s.records, 0)
      await waitFor(() => total() >= 296, 'the backlog of aggregates at the broker', 40_000).catch((err) => {
        console.log(agentLog.text().slice(-3000), seen)
        throw err
      })
    } finally {
      await agent.close()
      await sub.endAsync()
    }
    const records = seen.reduce((n, s) => n + s.records, 0)
    expect(records).toBe(296)
    // One message per poll batch or outbox batch, not per window: at least ten windows a message on average.
    expect(seen.length).toBeLessThanOrEqual(Math.ceil(records / 10))
  })

  it('keeps a one-hour window without rewriting a checkpoint per row, and rebuilds it after a restart', async () => {
    await createTable('hourly')
    const rows: Array<[string, number, number]> = []
    for (let i = 0; i < 3000; i++) rows.push(['turbine-hall', i, (i * 7919) % 1000])
    const last = await insertRows('hourly', rows)
    const clock = { ms: BASE_MS + 3000 * 1000 }
    const cfg = config('hourly', 'results_hourly', {}, { windowS: 3600 })
    const cfgSmallBatches = { ...cfg, postgres: cfg.postgres.map((s) => ({ ...s, batchSize: 25 })) }
    const dataDir = tempDir()
    const run = startGateway(cfgSmallBatches, clock, dataDir)
    await run.gateway.start()
    await waitFor(() => source(run.gateway)?.watermark === String(last), 'the last row', 60_000)
    const status = run.gateway.status()
    await run.gateway.close()
    // 120 batches of 25 rows into one open window: today's design rewrote the whole window (3000 values) each time.
    expect(source(run.gateway)?.rows).toBe(3000)
    expect(status.checkpoint.writes).toBeLessThanOrEqual(2)
    expect(status.checkpoint.bytes / 3000).toBeLessThan(200)

    // After the restart the open window is rebuilt by re-reading the table, then closed by the clock.
    clock.ms = BASE_MS + 3600 * 1000 + 60_000
    const again = startGateway(cfg, clock, dataDir)
    await again.gateway.start()
    await waitFor(() => again.emitted.some((e) => e.stream === 'aggregate'), 'the hour to close')
    await again.gateway.close()
    expect(source(again.gateway)).toMatchObject({ rows: 0, replayedRows: 3000, lateReadings: 0 })
    expect(again.emitted.filter((e) => e.stream === 'aggregate').map((e) => e.record.count)).toEqual([3000])
    expect(await storedWindows('results_hourly')).toEqual(await expectedWindows('hourly', 'hour'))
  })

  it('takes rows that are a little late into their window, and corrects a closed window for rows later than that', async () => {
    await createTable('skewed')
    const clock = { ms: BASE_MS + 85_000 }
    const run = startGateway(config('skewed', 'results_skewed'), clock)
    await run.gateway.start()
    try {
      await insertRows('skewed', [
        ['press-1', 5, 10],
        ['press-1', 15, 11],
        ['press-1', 62, 1],
      ])
      await waitFor(() => source(run.gateway)?.rows === 3, 'the first rows')
      // The database host's clock is 20 s behind the gateway's: 10 rows stamped 20–29 s before the gateway's now.
      const skewed: Array<[string, number, number]> = []
      for (let i = 0; i < 10; i++) skewed.push(['press-1', 56 + i * 0.3, 20 + i])
      await insertRows('skewed', skewed)
      await waitFor(() => source(run.gateway)?.rows === 13, 'the skewed rows')
      clock.ms = BASE_MS + 95_000 // minute 0 closes by the clock (95 s − 30 s lateness ≥ 60 s)
      await waitFor(() => run.emitted.some((e) => e.stream === 'aggregate'), 'minute 0 to close')
      expect(source(run.gateway)).toMatchObject({ lateReadings: 0, corrections: 0 })
      expect(run.emitted.find((e) => e.stream === 'aggregate')?.record).toMatchObject({ count: 12, max: 29 })

      // Rows much later than the allowed lateness: minute 0 is recomputed from the table and corrected.
      clock.ms = BASE_MS + 400_000
      await insertRows('skewed', [
        ['press-1', 30, 99],
        ['press-1', 31, 0.5],
      ])
      await waitFor(() => source(run.gateway)?.corrections === 1, 'the correction')
    } finally {
      await run.gateway.close()
    }
    expect(source(run.gateway)).toMatchObject({ lateReadings: 2, corrections: 1 })
    const corrections = run.emitted.filter((e) => e.stream === 'aggregate' && e.record.correction === true)
    expect(corrections.map((e) => e.record)).toMatchObject([{ windowStart: at(0), count: 14, min: 0.5, max: 99 }])
    const stored = await storedWindows('results_skewed')
    const expected = await expectedWindows('skewed')
    expect(stored.filter((w) => w.start_ms === BASE_MS)).toEqual(expected.filter((w) => w.start_ms === BASE_MS))
    expect(stored.find((w) => w.start_ms === BASE_MS)?.count).toBe(14)
  })

  it('sends keyed pseudonyms instead of device ids when configured, and keeps the real ids on site', async () => {
    await createTable('named')
    await insertRows('named', [
      ['operator-Jane-Doe', 1, 5],
      ['operator-Jane-Doe', 61, 6],
      ['operator-John-Roe', 2, 7],
      ['operator-John-Roe', 62, 8],
    ])
    const clock = { ms: BASE_MS + 600_000 }
    const cfg = config(
      'named',
      'results_named',
      { pseudonymise: { key: { env: 'PSEUDONYM_KEY' } } },
      { alarms: [{ name: 'high', metric: 'v', stat: 'max', above: 6.5, severity: 'warning' }] },
    )
    const run = startGateway(cfg, clock)
    await run.gateway.start()
    await waitFor(() => run.emitted.filter((e) => e.stream === 'aggregate').length === 4, 'four windows')
    await run.gateway.close()
    const pseudonym = (id: string) => `p-${createHmac('sha256', PSEUDONYM_KEY).update(id).digest('hex').slice(0, 24)}`
    const ids = new Set(run.emitted.filter((e) => e.stream === 'aggregate').map((e) => e.record.sourceId))
    expect([...ids].sort()).toEqual([pseudonym('operator-Jane-Doe'), pseudonym('operator-John-Roe')].sort())
    const alarm = run.emitted.find((e) => e.stream === 'events')?.record as { data: { sourceId: string }; message: string }
    expect(alarm.data.sourceId).toBe(pseudonym('operator-John-Roe'))
    expect(JSON.stringify(run.emitted)).not.toMatch(/Jane|John|operator-/)
    const onSite = await site.query('SELECT DISTINCT device_id FROM results_named ORDER BY 1')
    expect(onSite.rows.map((r) => r.device_id)).toEqual(['operator-Jane-Doe', 'operator-John-Roe'])
  })

  it('refuses a pseudonymisation key too short to protect anything', async () => {
    const run = startGateway(config('named', 'results_named', { pseudonymise: { key: { env: 'SHORT_KEY' } } }), { ms: BASE_MS })
    const short = createGateway(config('named', 'results_named', { pseudonymise: { key: { env: 'SHORT_KEY' } } }), {
      dataDir: tempDir(),
      logger: run.log.logger,
      emit: async () => {},
      secrets: { env: { SITE_DB_PASSWORD: PASSWORD, SHORT_KEY: 'abc' } },
    })
    await expect(short.start()).rejects.toMatchObject({ code: 'AGENT_GATEWAY_SECRET', message: expect.stringMatching(/at least 16/) })
    await short.close()
  })

  it('never writes row values from a database error into the logs or the status', async () => {
    await createTable('notes', 'text')
    await insertRows('notes', [['meter-9', 1, 'SECRETNOTE operator=J.Doe shift=3']])
    const run = startGateway(config('notes', 'results_notes'), { ms: BASE_MS })
    await run.gateway.start()
    const failing = await waitFor(() => source(run.gateway)?.lastError, 'the cast to fail')
    await waitFor(() => (source(run.gateway)?.failures ?? 0) >= 2, 'a retry')
    await run.gateway.close()
    expect(failing).toMatchObject({
      code: 'AGENT_GATEWAY_QUERY_FAILED',
      message: expect.stringMatching(/invalid input syntax.*"\[redacted\]".*SQLSTATE 22P02/),
    })
    expect(run.log.text()).toContain('source failed')
    expect(run.log.text()).not.toContain('SECRETNOTE')
    expect(run.log.text()).not.toContain('J.Doe')
    expect(JSON.stringify(run.gateway.status())).not.toContain('SECRETNOTE')
  })
})
