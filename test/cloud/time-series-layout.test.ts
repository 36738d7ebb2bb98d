import { join } from 'node:path'
import { createSqliteTimeSeriesStore, type TimeSeriesPoint } from '@edgetwin/cloud'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { tempDir } from '../ingest/support/fixtures.js'

const points: TimeSeriesPoint[] = [1, 2, 3].map((seq) => ({
  deviceId: 'wt-1',
  measurement: 'turbine',
  timeMs: 1_700_000_000_000 + seq * 1000,
  seq,
  dimensions: {},
  measures: { windSpeedMps: seq + 0.5 },
  alarms: [],
}))

describe('SQLite time series: table layouts', () => {
  const cleanups: Array<() => void> = []
  afterEach(() => {
    for (const c of cleanups.splice(0)) c()
  })
  const open = () => {
    const tmp = tempDir()
    const db = new Database(join(tmp.dir, 'timeseries.db'))
    cleanups.push(() => {
      db.close()
      tmp.remove()
    })
    return db
  }
  const indexes = (db: Database.Database) =>
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ts_points' AND sql IS NOT NULL").pluck().all()

  it('stores a point written twice once, in a new file (rowid table and its unique key)', async () => {
    const db = open()
    const store = createSqliteTimeSeriesStore(db)
    await store.write(points)
    await store.write(points.slice(1))
    expect((await store.range({ deviceId: 'wt-1', measurement: 'turbine', fromMs: 0, toMs: 2e12 })).map((p) => p.seq)).toEqual([1, 2, 3])
    expect(indexes(db)).toEqual(['ts_points_key'])
  })

  it('keeps the WITHOUT ROWID layout of an older file, adding no second index, and still stores a point once', async () => {
    const db = open()
    db.exec(`CREATE TABLE ts_points (device_id TEXT NOT NULL, measurement TEXT NOT NULL, time_ms INTEGER NOT NULL, seq INTEGER NOT NULL,
      dimensions TEXT, measures TEXT NOT NULL, alarms TEXT, PRIMARY KEY (device_id, measurement, time_ms, seq)) WITHOUT ROWID`)
    const store = createSqliteTimeSeriesStore(db)
    await store.write(points)
    await store.write(points)
    expect((await store.range({ deviceId: 'wt-1', measurement: 'turbine', fromMs: 0, toMs: 2e12 })).map((p) => p.seq)).toEqual([1, 2, 3])
    expect(indexes(db)).toEqual([])
  })
})
