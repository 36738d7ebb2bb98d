import { spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createLocalIngest, type TimeSeriesPoint } from '@edgetwin/cloud'
import { encodeEnvelope, telemetryTopic } from '@edgetwin/shared-schemas'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { envelope, silentLogger, tempDir, turbineSample } from '../ingest/support/fixtures.js'
import { repoRoot } from '../support/cli.js'
import { type LegacyLayout, storedTimeSeriesPoints, writeLegacyPoints } from './support/legacy-time-series.js'

const T0 = 1_700_000_000_000
const openIngestChild = fileURLToPath(new URL('./support/open-ingest.ts', import.meta.url))

/** `count` points over `devices` turbines, seq 1.. per device, as the router stored them. */
function pointsOf(devices: number, count: number): TimeSeriesPoint[] {
  return Array.from({ length: count }, (_, i) => ({
    deviceId: `wt-${i % devices}`,
    measurement: 'turbine' as const,
    timeMs: T0 + Math.floor(i / devices) * 1000,
    seq: Math.floor(i / devices) + 1,
    dimensions: {},
    measures: { windSpeedMps: (i % 97) / 7 },
    alarms: i % 50 === 0 ? ['overspeed'] : [],
  }))
}

/** An older data directory: its time series in timeseries.db's ts_points. */
function writeOldTimeSeries(dir: string, points: readonly TimeSeriesPoint[], layout: LegacyLayout): void {
  const db = new Database(join(dir, 'timeseries.db'))
  db.pragma('journal_mode = WAL')
  writeLegacyPoints(db, layout, points)
  db.close()
}

/** Every stored point as `device seq time measures alarms`, sorted, read straight from ingest.db. */
function storedPoints(dir: string): string[] {
  const db = new Database(join(dir, 'ingest.db'), { readonly: true })
  try {
    return storedTimeSeriesPoints(db)
      .map(
        ([deviceId, timeMs, seq, measures, alarms]) =>
          `${deviceId} ${seq} ${timeMs} ${JSON.stringify(measures)} ${alarms ? JSON.stringify(alarms) : null}`,
      )
      .sort()
  } finally {
    db.close()
  }
}

const expectedRows = (points: readonly TimeSeriesPoint[]): string[] =>
  points
    .map((p) => `${p.deviceId} ${p.seq} ${p.timeMs} ${JSON.stringify(p.measures)} ${p.alarms.length > 0 ? JSON.stringify(p.alarms) : null}`)
    .sort()

describe('local time series in ingest.db: an older timeseries.db is moved in once', () => {
  const cleanups: Array<() => void | Promise<void>> = []
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c()
  })
  const dataDir = () => {
    const tmp = tempDir()
    cleanups.push(tmp.remove)
    return tmp.dir
  }

  for (const layout of ['without-rowid', 'rowid'] as const) {
    it(`moves every point of a ${layout} timeseries.db, deletes the file, and routes new points beside them`, async () => {
      const dir = dataDir()
      const points = pointsOf(3, 300)
      writeOldTimeSeries(dir, points, layout)
      const ingest = createLocalIngest({ dataDir: dir, logger: silentLogger })
      await ingest.start()
      expect(existsSync(join(dir, 'timeseries.db'))).toBe(false)
      const range = await ingest.timeSeriesReader!.range({ deviceId: 'wt-1', measurement: 'turbine', fromMs: 0, toMs: 2e12 })
      expect(range.map((p) => p.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1))
      // Routed after the move: the same table, committed with the mark (seq 101 on is new for wt-1).
      const next = envelope('wt-1', 'turbine', 'metrics', 101, [turbineSample(5000), turbineSample(5001)])
      await ingest.router.handle(telemetryTopic('turbine', 'wt-1', 'metrics'), encodeEnvelope(next))
      const after = await ingest.timeSeriesReader!.range({ deviceId: 'wt-1', measurement: 'turbine', fromMs: 0, toMs: 2e12 })
      expect(after.map((p) => p.seq).slice(-3)).toEqual([100, 101, 102])
      await ingest.close()
      expect(storedPoints(dir).length).toBe(302)
    })
  }

  it('copies nothing twice when the process died after the copy committed but before timeseries.db was deleted', async () => {
    const dir = dataDir()
    const points = pointsOf(4, 2000)
    writeOldTimeSeries(dir, points, 'rowid')
    const oldFile = readFileSync(join(dir, 'timeseries.db'))
    await createLocalIngest({ dataDir: dir, logger: silentLogger }).close()
    expect(storedPoints(dir)).toEqual(expectedRows(points))
    // The crash window: the points are committed in ingest.db and the old file is still there.
    writeFileSync(join(dir, 'timeseries.db'), oldFile)
    await createLocalIngest({ dataDir: dir, logger: silentLogger }).close()
    expect(existsSync(join(dir, 'timeseries.db'))).toBe(false)
    expect(storedPoints(dir)).toEqual(expectedRows(points))
  })

  it('loses and duplicates nothing when SIGKILLed while copying, and finishes the move at the next start', async () => {
    const dir = dataDir()
    // Enough points that the copy takes a while after its start is logged, so the kill lands inside it.
    const points = pointsOf(20, 200_000)
    writeOldTimeSeries(dir, points, 'without-rowid')
    const child = spawn(process.execPath, ['--conditions=@edgetwin/source', '--import', 'tsx', openIngestChild, dir], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)))
    let out = ''
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        if (out.includes('moving the time series into ingest.db')) {
          child.kill('SIGKILL')
          resolve()
        }
      })
      child.once('exit', () => reject(new Error(`child exited before the move started: ${out}`)))
    })
    expect(await exited).toBe('SIGKILL')
    // Killed inside the copy: nothing of it committed, the old file whole.
    expect(out).not.toContain('time series moved into ingest.db')
    expect(existsSync(join(dir, 'timeseries.db'))).toBe(true)
    expect(storedPoints(dir)).toEqual([])
    await createLocalIngest({ dataDir: dir, logger: silentLogger }).close()
    expect(existsSync(join(dir, 'timeseries.db'))).toBe(false)
    expect(storedPoints(dir)).toEqual(expectedRows(points))
  }, 60_000)
})
