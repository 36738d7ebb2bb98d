import { join } from 'node:path'
import { createSqliteTimeSeriesStore, type TimeSeriesPoint } from '@edgetwin/cloud'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { tempDir } from '../ingest/support/fixtures.js'
import { writeLegacyPoints } from './support/legacy-time-series.js'

const point = (seq: number, deviceId = 'wt-1'): TimeSeriesPoint => ({
  deviceId,
  measurement: 'turbine',
  timeMs: 1_700_000_000_000 + seq * 1000,
  seq,
  dimensions: {},
  measures: { windSpeedMps: seq + 0.5 },
  alarms: seq === 2 ? ['overspeed'] : [],
})
const points = [1, 2, 3].map((s) => point(s))
const ALL = { deviceId: 'wt-1', measurement: 'turbine', fromMs: 0, toMs: 2e12 } as const

describe('SQLite time series: table layouts', () => {
  const cleanups: Array<() => void> = []
  afterEach(() => {
    for (const c of cleanups.splice(0)) c()
  })
  const open = () => {
    const tmp = tempDir()
    const db = new Database(join(tmp.dir, 'ingest.db'))
    cleanups.push(() => {
      db.close()
      tmp.remove()
    })
    return db
  }
  const schema = (db: Database.Database) =>
    db.prepare("SELECT type, name FROM sqlite_master WHERE sql IS NOT NULL AND name LIKE 'ts_%' ORDER BY name").all()

  it('stores a point written twice once, one row per write', async () => {
    const db = open()
    const store = createSqliteTimeSeriesStore(db)
    await store.write(points)
    await store.write(points.slice(1))
    await store.write([point(4), point(4)])
    expect((await store.range(ALL)).map((p) => p.seq)).toEqual([1, 2, 3, 4])
    expect(schema(db)).toEqual([
      { type: 'table', name: 'ts_writes' },
      { type: 'index', name: 'ts_writes_span' },
    ])
    // One row per write that stored something: [1, 2, 3] and [4].
    expect(db.prepare('SELECT min_time_ms, max_time_ms FROM ts_writes ORDER BY rowid').all()).toEqual([
      { min_time_ms: points[0]!.timeMs, max_time_ms: points[2]!.timeMs },
      { min_time_ms: point(4).timeMs, max_time_ms: point(4).timeMs },
    ])
  })

  it('answers a range inside a write with only the points inside it', async () => {
    const db = open()
    const store = createSqliteTimeSeriesStore(db)
    await store.write([...points, point(2, 'wt-2')])
    expect((await store.range({ ...ALL, fromMs: points[1]!.timeMs, toMs: points[2]!.timeMs })).map((p) => p.seq)).toEqual([2])
    expect(await store.devices('turbine', points[1]!.timeMs, points[2]!.timeMs)).toEqual(['wt-1', 'wt-2'])
    // wt-1's write spans this range, wt-2's does not reach it; neither has a point in the gap between seconds.
    expect(await store.devices('turbine', points[2]!.timeMs, points[2]!.timeMs + 1)).toEqual(['wt-1'])
    expect(await store.devices('turbine', points[1]!.timeMs + 1, points[2]!.timeMs)).toEqual([])
    expect(await store.alarmCounts({ ...ALL, windowMs: 1000 })).toEqual([
      { windowStartMs: points[1]!.timeMs, alarm: 'overspeed', count: 1 },
    ])
  })

  it('converts the rows and batches of the second layout in the same file, keeping every point once', async () => {
    const db = open()
    // Each row's device and measurement were dropped from it in that layout's last form; both forms join the batch.
    db.exec(`CREATE TABLE ts_rows (time_ms INTEGER NOT NULL, seq INTEGER NOT NULL, dimensions TEXT, measures TEXT NOT NULL, alarms TEXT);
      CREATE TABLE ts_batches (device_id TEXT NOT NULL, measurement TEXT NOT NULL, min_time_ms INTEGER NOT NULL,
        max_time_ms INTEGER NOT NULL, first_row INTEGER NOT NULL, last_row INTEGER NOT NULL)`)
    const row = db.prepare('INSERT INTO ts_rows VALUES (?, ?, NULL, ?, ?)')
    for (const p of points) row.run(p.timeMs, p.seq, JSON.stringify(p.measures), p.alarms.length > 0 ? JSON.stringify(p.alarms) : null)
    db.prepare("INSERT INTO ts_batches VALUES ('wt-1', 'turbine', ?, ?, 1, 3)").run(points[0]!.timeMs, points[2]!.timeMs)
    const store = createSqliteTimeSeriesStore(db)
    expect(await store.range(ALL)).toEqual(points)
    expect(schema(db).map((r) => (r as { name: string }).name)).toEqual(['ts_writes', 'ts_writes_span'])
    await store.write(points)
    expect((await store.range(ALL)).map((p) => p.seq)).toEqual([1, 2, 3])
  })

  for (const layout of ['without-rowid', 'rowid'] as const) {
    it(`converts a ts_points table of the first layout (${layout}) in the same file, keeping every point once`, async () => {
      const db = open()
      writeLegacyPoints(db, layout, [...points].reverse())
      const store = createSqliteTimeSeriesStore(db)
      expect(await store.range(ALL)).toEqual(points)
      expect(schema(db).map((r) => (r as { name: string }).name)).toEqual(['ts_writes', 'ts_writes_span'])
      await store.write(points)
      expect((await store.range(ALL)).map((p) => p.seq)).toEqual([1, 2, 3])
    })
  }
})
