import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createGateway, type Gateway } from '@edgetwin/agent'
import { createValidator, type GatewayProfileConfig, GatewayProfileConfig as GatewaySchema, parseConfig } from '@edgetwin/shared-schemas'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { capturedLogger, waitFor } from './helpers.js'
import { type PostgresHandle, startPostgres } from './postgres.js'

const PASSWORD = 'site-Pa55-7f3c'
const BASE_MS = Date.UTC(2030, 0, 1, 0, 0, 0)
const minute = (m: number, s = 0) => new Date(BASE_MS + m * 60_000 + s * 1000).toISOString()

let server: PostgresHandle
let site: pg.Client
const dirs: string[] = []
const gatewayConfig = createValidator(GatewaySchema)

beforeAll(async () => {
  server = await startPostgres()
  await server.createUserAndDatabase('gateway', PASSWORD, 'plant')
  site = await server.admin('plant')
  await site.query(`CREATE TABLE readings (
    id bigserial PRIMARY KEY, device_id text, ts timestamptz NOT NULL,
    temperature_c double precision, pressure_kpa numeric, note text)`)
  await site.query('ALTER TABLE readings OWNER TO gateway')
})
afterAll(async () => {
  await site?.end()
  await server?.destroy()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'edgetwin-gw-'))
  dirs.push(d)
  return d
}

function config(overrides: Partial<Record<string, unknown>> = {}, source: Record<string, unknown> = {}): GatewayProfileConfig {
  return parseConfig(gatewayConfig, {
    database: { host: '127.0.0.1', port: server.port, database: 'plant', user: 'gateway', password: { env: 'SITE_DB_PASSWORD' } },
    postgres: [
      {
        name: 'readings',
        table: 'public.readings',
        watermark: { column: 'id', type: 'integer' },
        deviceColumn: 'device_id',
        timeColumn: 'ts',
        metricColumns: ['temperature_c', 'pressure_kpa'],
        pollIntervalMs: 50,
        batchSize: 7,
        ...source,
      },
    ],
    processing: {
      windowS: 60,
      allowedLatenessS: 0,
      alarms: [{ name: 'hot', metric: 'temperature_c', stat: 'max', above: 80, severity: 'critical' }],
    },
    residency: { allow: [] },
    retryDelayMs: 50,
    maxRetryDelayMs: 200,
    ...overrides,
  })
}

interface Emitted {
  stream: string
  record: Record<string, unknown>
}

function startGateway(cfg: GatewayProfileConfig, dataDir: string, opts: { env?: Record<string, string>; nowMs?: number } = {}) {
  const emitted: Emitted[] = []
  const log = capturedLogger()
  const gateway: Gateway = createGateway(cfg, {
    dataDir,
    logger: log.logger,
    emit: async (stream, record) => {
      emitted.push({ stream, record: record as Record<string, unknown> })
    },
    secrets: { env: opts.env ?? { SITE_DB_PASSWORD: PASSWORD } },
    now: () => opts.nowMs ?? BASE_MS - 3_600_000,
  })
  return { gateway, emitted, log }
}

async function insert(rows: Array<[device: string, ts: string, temperatureC: number | null, pressureKpa: number | null]>): Promise<number> {
  let last = 0
  for (const [d, ts, t, p] of rows) {
    const r = await site.query(
      'INSERT INTO readings (device_id, ts, temperature_c, pressure_kpa, note) VALUES ($1, $2, $3, $4, $5) RETURNING id',
      [d, ts, t, p, `RAW-ROW-${d}-${ts}`],
    )
    last = Number(r.rows[0].id)
  }
  return last
}

const watermarkOf = (g: Gateway) => g.status().sources.find((s) => s.name === 'readings')?.watermark

describe('gateway against a real PostgreSQL 15', () => {
  it('polls incrementally across restarts with no gaps and no repeats, and writes each window back once', async () => {
    const dataDir = tempDir()
    const rows: Array<[string, string, number, number]> = []
    for (let i = 0; i < 30; i++) rows.push([i % 2 ? 'pump-1' : 'pump-2', minute(0, i * 2), 20 + (i % 7), 100 + i])
    for (let i = 0; i < 10; i++) rows.push(['pump-1', minute(1, i), 30 + i, 200])
    const firstLast = await insert(rows)

    const run1 = startGateway(config(), dataDir)
    await run1.gateway.start()
    await waitFor(() => watermarkOf(run1.gateway) === String(firstLast), 'run 1 to reach the last row')
    await run1.gateway.close()
    // Minute 0 closed (a reading of minute 1 moved event time past it); minute 1 is still open, only in the checkpoint.
    const afterRun1 = await site.query('SELECT device_id, metric, count FROM results_proc ORDER BY 1, 2')
    expect(afterRun1.rows).toEqual([
      { device_id: 'pump-1', metric: 'pressure_kpa', count: 15 },
      { device_id: 'pump-1', metric: 'temperature_c', count: 15 },
      { device_id: 'pump-2', metric: 'pressure_kpa', count: 15 },
      { device_id: 'pump-2', metric: 'temperature_c', count: 15 },
    ])

    const more: Array<[string, string, number | null, number | null]> = []
    for (let i = 10; i < 25; i++) more.push(['pump-1', minute(1, i * 2), 70 + i, null])
    more.push(['pump-2', minute(2, 5), 21, 101])
    const secondLast = await insert(more)
    const run2 = startGateway(config(), dataDir)
    await run2.gateway.start()
    await waitFor(() => watermarkOf(run2.gateway) === String(secondLast), 'run 2 to reach the last row')
    await run2.gateway.close()

    // The site database itself computes what every closed window must hold; percentile_disc is the nearest rank.
    const expected = await site.query(
      `
      SELECT device_id, metric, count(*)::int AS count, avg(v) AS mean, min(v) AS min, max(v) AS max,
             percentile_disc(0.95) WITHIN GROUP (ORDER BY v) AS p95
      FROM (SELECT device_id, ts, 'temperature_c' AS metric, temperature_c AS v FROM readings
            UNION ALL SELECT device_id, ts, 'pressure_kpa', pressure_kpa::float8 FROM readings) x
      WHERE v IS NOT NULL AND ts < $1
      GROUP BY device_id, metric, date_trunc('minute', ts) ORDER BY device_id, metric, date_trunc('minute', ts)`,
      [minute(2)],
    )
    const written = await site.query(
      `SELECT device_id, metric, count, mean, min, max, p95 FROM results_proc WHERE window_start < $1 ORDER BY device_id, metric, window_start`,
      [minute(2)],
    )
    expect(written.rows.length).toBe(6)
    expect(written.rows.map((r) => ({ ...r, mean: Number(r.mean.toFixed(9)) }))).toEqual(
      expected.rows.map((r) => ({ ...r, mean: Number(Number(r.mean).toFixed(9)) })),
    )
    // Minute 1 of pump-1 spans both runs: all 25 temperature readings, none twice.
    expect(written.rows.find((r) => r.device_id === 'pump-1' && r.metric === 'temperature_c' && r.count === 25)).toBeTruthy()
    const hot = await site.query(
      `SELECT alarms FROM results_proc WHERE device_id = 'pump-1' AND metric = 'temperature_c' AND window_start = $1`,
      [minute(1)],
    )
    expect(hot.rows).toEqual([{ alarms: ['hot'] }])

    // Upstream: every closed window exactly once over both runs, and one alarm event.
    const aggregates = [...run1.emitted, ...run2.emitted].filter((e) => e.stream === 'aggregate')
    const keys = aggregates.map((e) => `${e.record.sourceId}/${e.record.metric}/${e.record.windowStart}`)
    expect(new Set(keys).size).toBe(keys.length)
    expect(keys.length).toBe(6)
    expect([...run1.emitted, ...run2.emitted].filter((e) => e.stream === 'events').map((e) => e.record.type)).toEqual(['gateway.threshold'])
    expect(JSON.stringify([...run1.emitted, ...run2.emitted])).not.toContain('RAW-ROW')
  })

  it('keeps microsecond timestamp watermarks exact and never splits a run of equal timestamps', async () => {
    await site.query('CREATE TABLE ticks (ts timestamptz NOT NULL, device_id text NOT NULL, v double precision)')
    await site.query('ALTER TABLE ticks OWNER TO gateway')
    const values: string[] = []
    // Runs of three rows sharing a timestamp, microseconds apart from the next run.
    for (let i = 0; i < 8; i++)
      for (let k = 0; k < 3; k++) values.push(`('2030-01-01 00:00:10.${String(100000 + i).padStart(6, '0')}+00', 'meter-${k}', ${i})`)
    await site.query(`INSERT INTO ticks VALUES ${values.join(',')}`)
    const cfg = config(
      {},
      { table: 'ticks', watermark: { column: 'ts', type: 'timestamp' }, timeColumn: 'ts', metricColumns: ['v'], batchSize: 5 },
    )
    const dataDir = tempDir()
    const run1 = startGateway(cfg, dataDir)
    await run1.gateway.start()
    await waitFor(() => watermarkOf(run1.gateway)?.endsWith('10.100007+00'), 'the last tick')
    await run1.gateway.close()
    await site.query(
      `INSERT INTO ticks VALUES ('2030-01-01 00:00:10.1000075+00', 'meter-0', 100), ('2030-01-01 00:01:00.5+00', 'meter-0', 1)`,
    )
    const run2 = startGateway(cfg, dataDir)
    await run2.gateway.start()
    await waitFor(() => watermarkOf(run2.gateway)?.includes('00:01:00.5'), 'the new ticks')
    await run2.gateway.close()
    const counts = [...run1.emitted, ...run2.emitted]
      .filter((e) => e.stream === 'aggregate')
      .map((e) => `${e.record.sourceId}:${e.record.windowStart}:${e.record.count}`)
      .sort()
    // Minute 0 stayed open across the restart and closed when the 00:01 tick arrived. A watermark cut to
    // milliseconds would have re-read the 10.100000-10.100007 ticks (counts of 16+); a split run would lose rows.
    expect(counts).toEqual([
      'meter-0:2030-01-01T00:00:00.000Z:9',
      'meter-1:2030-01-01T00:00:00.000Z:8',
      'meter-2:2030-01-01T00:00:00.000Z:8',
    ])
    expect(run2.gateway.status().sources[0]).toMatchObject({ rows: 2, lateReadings: 0 })
  })

  it('reports bad SQL with the server message and SQLSTATE, and keeps retrying without flooding the log', async () => {
    const dataDir = tempDir()
    const bad = startGateway(config({}, { name: 'readings', where: 'temperature_c >>> 3' }), dataDir)
    await bad.gateway.start()
    const status = await waitFor(() => bad.gateway.status().sources.find((s) => s.state === 'failing'), 'the failure')
    expect(status.lastError).toMatchObject({
      code: 'AGENT_GATEWAY_QUERY_FAILED',
      message: expect.stringMatching(/polling public\.readings: .*SQLSTATE 42883/),
    })
    await waitFor(() => (bad.gateway.status().sources[0]?.failures ?? 0) >= 2, 'a retry')
    await bad.gateway.close()
    expect(bad.emitted.filter((e) => e.stream === 'events').map((e) => e.record.data)).toEqual([
      { source: 'readings', code: 'AGENT_GATEWAY_QUERY_FAILED' },
    ])
    expect(bad.log.lines().filter((l) => l.includes('"source failed; retrying with backoff"'))).toHaveLength(1)

    const missing = startGateway(config({}, { table: 'no_such_table' }), tempDir())
    await missing.gateway.start()
    const s2 = await waitFor(() => missing.gateway.status().sources.find((s) => s.state === 'failing'), 'the failure')
    expect(s2.lastError?.message).toMatch(/polling no_such_table: relation "no_such_table" does not exist \(SQLSTATE 42P01/)
    await missing.gateway.close()
  })

  it('survives losing the database: a clear error while it is down, then it catches up when it returns', async () => {
    const dataDir = tempDir()
    const run = startGateway(config({ retryDelayMs: 50, maxRetryDelayMs: 100 }), dataDir)
    await run.gateway.start()
    const maxId = Number((await site.query('SELECT max(id) AS m FROM readings')).rows[0].m)
    await waitFor(() => watermarkOf(run.gateway) === String(maxId), 'catching up')
    await site.end()
    await server.stop()
    const down = await waitFor(() => run.gateway.status().sources.find((s) => s.state === 'failing'), 'the outage to be noticed')
    expect(down.lastError).toMatchObject({
      code: 'AGENT_GATEWAY_DB_UNAVAILABLE',
      message: expect.stringMatching(/site database is unreachable/),
    })
    await server.start()
    site = await server.admin('plant')
    const last = await insert([['pump-3', minute(5), 50, 150]])
    await waitFor(() => watermarkOf(run.gateway) === String(last), 'the row inserted after the outage')
    expect(run.gateway.status().sources[0]?.state).toBe('ok')
    await run.gateway.close()
    const sourceEvents = run.emitted.filter((e) => e.stream === 'events' && String(e.record.type).startsWith('gateway.source'))
    expect(sourceEvents.map((e) => [e.record.type, (e.record.data as { code?: string }).code])).toEqual([
      ['gateway.source-error', 'AGENT_GATEWAY_DB_UNAVAILABLE'],
      ['gateway.source-recovered', undefined],
    ])
    expect(run.log.text()).not.toContain(PASSWORD)
  })

  it('takes the password from a 0600 secrets file, refuses a group-readable one, and never logs it', async () => {
    const dir = tempDir()
    const file = join(dir, 'db-password')
    writeFileSync(file, `${PASSWORD}\n`)
    chmodSync(file, 0o640)
    const cfg = (f: string) =>
      config({ database: { host: '127.0.0.1', port: server.port, database: 'plant', user: 'gateway', password: { file: f } } })
    const refused = startGateway(cfg(file), tempDir())
    await expect(refused.gateway.start()).rejects.toMatchObject({ code: 'AGENT_GATEWAY_SECRET_PERMISSIONS' })
    chmodSync(file, 0o600)
    const ok = startGateway(cfg(file), tempDir())
    await ok.gateway.start()
    await waitFor(() => ok.gateway.status().sources[0]?.state === 'ok', 'a successful poll')
    await ok.gateway.close()

    const wrong = startGateway(config(), tempDir(), { env: { SITE_DB_PASSWORD: 'not-the-password' } })
    await wrong.gateway.start()
    const s = await waitFor(() => wrong.gateway.status().sources.find((x) => x.state === 'failing'), 'the auth failure')
    expect(s.lastError?.code).toBe('AGENT_GATEWAY_DB_AUTH')
    await wrong.gateway.close()
    for (const r of [refused, ok, wrong]) {
      expect(r.log.text()).not.toContain(PASSWORD)
      expect(r.log.text()).not.toContain('not-the-password')
    }
  })
})
