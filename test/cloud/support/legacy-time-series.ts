import type { TimeSeriesPoint } from '@edgetwin/cloud'
import type Database from 'better-sqlite3'

export type LegacyLayout = 'without-rowid' | 'rowid'

/**
 * The time series table of the layouts before the per-write batches: `ts_points`, one row per point, unique on
 * (device, measurement, time, seq), as a WITHOUT ROWID table or a rowid table with a unique index.
 */
export function writeLegacyPoints(db: Database.Database, layout: LegacyLayout, points: readonly TimeSeriesPoint[]): void {
  db.exec(`CREATE TABLE ts_points (device_id TEXT NOT NULL, measurement TEXT NOT NULL, time_ms INTEGER NOT NULL, seq INTEGER NOT NULL,
    dimensions TEXT, measures TEXT NOT NULL, alarms TEXT${layout === 'without-rowid' ? ', PRIMARY KEY (device_id, measurement, time_ms, seq)) WITHOUT ROWID' : ')'}`)
  if (layout === 'rowid') db.exec('CREATE UNIQUE INDEX ts_points_key ON ts_points (device_id, measurement, time_ms, seq)')
  const insert = db.prepare('INSERT INTO ts_points VALUES (?, ?, ?, ?, NULL, ?, ?)')
  db.transaction(() => {
    for (const p of points) {
      insert.run(
        p.deviceId,
        p.measurement,
        p.timeMs,
        p.seq,
        JSON.stringify(p.measures),
        p.alarms.length > 0 ? JSON.stringify(p.alarms) : null,
      )
    }
  })()
}

/** Every point the SQLite time series in `db` holds, as `[deviceId, timeMs, seq, measures, alarms | null]`, read from its table. */
export function storedTimeSeriesPoints(db: Database.Database): Array<[string, number, number, Record<string, number>, string[] | null]> {
  const writes = db.prepare('SELECT device_id, points FROM ts_writes ORDER BY rowid').all() as Array<{ device_id: string; points: string }>
  return writes.flatMap((w) =>
    (JSON.parse(w.points) as Array<[number, number, Record<string, number>, string[] | null]>).map(
      ([timeMs, seq, measures, alarms]): [string, number, number, Record<string, number>, string[] | null] => [
        w.device_id,
        timeMs,
        seq,
        measures,
        alarms,
      ],
    ),
  )
}
