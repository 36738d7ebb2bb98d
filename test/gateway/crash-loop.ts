import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createValidator, GatewayProfileConfig as GatewaySchema, parseConfig } from '@edgetwin/shared-schemas'
import { expect } from 'vitest'
import { bundleWorkspaceEntry } from '../support/bundle.js'
import { waitFor } from './helpers.js'
import { startPostgres } from './postgres.js'

const PASSWORD = 'crash-Pa55-c0de'
const BASE_MS = Date.UTC(2032, 0, 1)
const DEVICES = ['mill-1', 'mill-2']

interface Upstream {
  stream: string
  record: { sourceId: string; metric: string; windowStart: string; count: number; max: number; correction?: boolean }
}

function startChild(entry: string, args: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, [entry, ...args], {
    env: { ...process.env, SITE_DB_PASSWORD: PASSWORD, GATEWAY_CLOCK_MS: String(BASE_MS - 86_400_000) },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`gateway child exited with ${code} before starting`)))
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('started')) {
        child.removeAllListeners('exit')
        resolve(child)
      }
    })
  })
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())))

/**
 * A gateway over a PostgreSQL table, SIGKILLed `kills` times at random moments while rows arrive in waves, then
 * run to the end and stopped gracefully. Afterwards the site results table must equal what PostgreSQL computes
 * from the rows itself, every closed window must have reached upstream with those numbers, and no restart may
 * have produced a correction (re-reading rows after a crash must not be mistaken for late data).
 */
export async function runGatewayCrashLoop(kills: number): Promise<{ duplicates: number; windows: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'edgetwin-gw-crash-'))
  const server = await startPostgres()
  // Bundled inside the repository so the child resolves its npm dependencies from node_modules.
  const entry = await bundleWorkspaceEntry(
    join(import.meta.dirname, 'fixtures', 'gateway-child.ts'),
    join(import.meta.dirname, '..', '..', 'node_modules', '.cache', 'edgetwin-test', `gateway-child-${process.pid}.mjs`),
  )
  let site: Awaited<ReturnType<typeof server.admin>> | undefined
  try {
    await server.createUserAndDatabase('gateway', PASSWORD, 'plant')
    site = await server.admin('plant')
    await site.query(
      'CREATE TABLE readings (id bigserial PRIMARY KEY, device_id text NOT NULL, ts timestamptz NOT NULL, v double precision)',
    )
    await site.query('ALTER TABLE readings OWNER TO gateway')
    const config = parseConfig(createValidator(GatewaySchema), {
      database: { host: '127.0.0.1', port: server.port, database: 'plant', user: 'gateway', password: { env: 'SITE_DB_PASSWORD' } },
      postgres: [
        {
          name: 'mills',
          table: 'readings',
          watermark: { column: 'id', type: 'integer' },
          deviceColumn: 'device_id',
          timeColumn: 'ts',
          metricColumns: ['v'],
          pollIntervalMs: 50,
          batchSize: 40,
        },
      ],
      processing: { windowS: 60 },
      residency: { allow: [] },
      retryDelayMs: 50,
    })
    const configPath = join(dir, 'gateway.json')
    writeFileSync(configPath, JSON.stringify(config))
    const upstreamPath = join(dir, 'upstream.ndjson')
    const args = [configPath, join(dir, 'data'), upstreamPath]

    const minutesPerWave = 3
    let minute = 0
    const insertWave = async () => {
      const values: string[] = []
      for (let m = minute; m < minute + minutesPerWave; m++) {
        for (let s = 0; s < 60; s += 3) {
          for (const d of DEVICES)
            values.push(`('${d}', '${new Date(BASE_MS + m * 60_000 + s * 1000).toISOString()}', ${(m * 31 + s * 7) % 101})`)
        }
      }
      await site.query(`INSERT INTO readings (device_id, ts, v) VALUES ${values.join(',')}`)
      minute += minutesPerWave
    }

    for (let i = 0; i < kills; i++) {
      await insertWave()
      const child = await startChild(entry, args)
      await new Promise((r) => setTimeout(r, Math.random() * 600))
      child.kill('SIGKILL')
      await exited(child)
    }
    await insertWave()
    const lastId = Number((await site.query('SELECT max(id) AS m FROM readings')).rows[0].m)
    const final = await startChild(entry, args)
    // Every window but the last minute closes by event time (a reading 30 s past its end exists).
    const closedMinutes = minute - 1
    await waitFor(
      async () => {
        const r = await site.query('SELECT count(*)::int AS n FROM results_proc')
        return r.rows[0].n >= closedMinutes * DEVICES.length
      },
      'every closed window on site',
      120_000,
    )
    final.kill('SIGTERM')
    await exited(final)
    expect(lastId).toBe(minute * 20 * DEVICES.length)

    const expected = await site.query(
      `SELECT device_id, date_trunc('minute', ts) AS ws, count(*)::int AS count, max(v) AS max,
        percentile_disc(0.95) WITHIN GROUP (ORDER BY v) AS p95
      FROM readings GROUP BY 1, 2 HAVING date_trunc('minute', ts) < $1 ORDER BY 1, 2`,
      [new Date(BASE_MS + closedMinutes * 60_000)],
    )
    const stored = await site.query(`SELECT device_id, window_start AS ws, count, max, p95 FROM results_proc ORDER BY 1, 2`)
    expect(stored.rows).toEqual(expected.rows)

    const upstream = existsSync(upstreamPath)
      ? readFileSync(upstreamPath, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Upstream)
      : []
    const aggregates = upstream.filter((u) => u.stream === 'aggregate').map((u) => u.record)
    expect(aggregates.filter((a) => a.correction)).toEqual([])
    const lastByWindow = new Map<string, Upstream['record']>()
    for (const a of aggregates) lastByWindow.set(`${a.sourceId}@${a.windowStart}`, a)
    expect(
      [...lastByWindow.values()]
        .map((a) => ({ device_id: a.sourceId, ws: new Date(a.windowStart), count: a.count, max: a.max }))
        .sort((x, y) => x.device_id.localeCompare(y.device_id) || x.ws.getTime() - y.ws.getTime()),
    ).toEqual(expected.rows.map((r) => ({ device_id: r.device_id, ws: r.ws, count: r.count, max: r.max })))
    return { duplicates: aggregates.length - lastByWindow.size, windows: lastByWindow.size }
  } finally {
    await site?.end().catch(() => {})
    await server.destroy()
    rmSync(dir, { recursive: true, force: true })
  }
}
