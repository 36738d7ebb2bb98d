import type { Database } from 'better-sqlite3'
import type { Measurement, TimeSeriesPoint } from './time-series-store.js'

interface LegacyRow {
  device_id: string
  measurement: Measurement
  time_ms: number
  seq: number
  dimensions: string | null
  measures: string
  alarms: string | null
}

const toPoint = (r: LegacyRow): TimeSeriesPoint => ({
  deviceId: r.device_id,
  measurement: r.measurement,
  timeMs: r.time_ms,
  seq: r.seq,
  dimensions: r.dimensions ? JSON.parse(r.dimensions) : {},
  measures: {},
  measuresJson: r.measures,
  alarms: r.alarms ? JSON.parse(r.alarms) : [],
})

const hasTable = (db: Database, schema: string, name: string): boolean =>
  db.prepare(`SELECT 1 FROM ${schema}.sqlite_master WHERE type = 'table' AND name = ?`).get(name) !== undefined

/**
 * Copies the points of a `ts_points` table of the first layout (one row per point, unique on device, measurement,
 * time, seq) in `schema` through `write`, in key order, a page at a time. Runs inside the caller's transaction.
 */
export function copyLegacyPoints(db: Database, schema: string, write: (points: readonly TimeSeriesPoint[]) => void): number {
  if (!hasTable(db, schema, 'ts_points')) return 0
  const page = db.prepare(`SELECT device_id, measurement, time_ms, seq, dimensions, measures, alarms FROM ${schema}.ts_points
    WHERE (device_id, measurement, time_ms, seq) > (?, ?, ?, ?) ORDER BY device_id, measurement, time_ms, seq LIMIT 5000`)
  let after: [string, string, number, number] = ['', '', Number.MIN_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]
  let copied = 0
  for (;;) {
    const rows = page.all(...after) as LegacyRow[]
    if (rows.length === 0) return copied
    write(rows.map(toPoint))
    copied += rows.length
    const last = rows[rows.length - 1]!
    after = [last.device_id, last.measurement, last.time_ms, last.seq]
  }
}

/**
 * Converts the tables of the layouts before in `db` itself (a `ts_points` table; `ts_rows` with `ts_batches`, a row
 * per point with an index entry per write) through `write`, then drops them: one transaction, so a crash leaves
 * either layout whole.
 */
export function convertLegacyTables(db: Database, write: (points: readonly TimeSeriesPoint[]) => void): void {
  const points = hasTable(db, 'main', 'ts_points')
  const rows = hasTable(db, 'main', 'ts_rows') && hasTable(db, 'main', 'ts_batches')
  if (!points && !rows) return
  db.transaction(() => {
    if (points) {
      copyLegacyPoints(db, 'main', write)
      db.exec('DROP TABLE ts_points')
    }
    if (rows) {
      const batch = db.prepare(`SELECT b.device_id, b.measurement, p.time_ms, p.seq, p.dimensions, p.measures, p.alarms
        FROM ts_batches AS b CROSS JOIN ts_rows AS p WHERE b.rowid = ? AND p.rowid BETWEEN b.first_row AND b.last_row ORDER BY p.rowid`)
      for (const id of db.prepare('SELECT rowid FROM ts_batches ORDER BY rowid').pluck().all() as number[]) {
        write((batch.all(id) as LegacyRow[]).map(toPoint))
      }
      db.exec('DROP TABLE ts_rows; DROP TABLE ts_batches')
    }
  })()
}
