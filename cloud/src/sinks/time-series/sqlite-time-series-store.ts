import type { Database } from 'better-sqlite3'
import { CloudError } from '../../errors.js'
import { NOTHING_REJECTED, type SinkWriteResult } from '../sink-result.js'
import {
  type AlarmCount,
  FIELD_NAME_PATTERN,
  type Measurement,
  type RangeQuery,
  TEN_MINUTES_MS,
  type TimeSeriesPoint,
  type TimeSeriesStore,
  type WindowAggregate,
  type WindowQuery,
} from './time-series-store.js'

interface PointRow {
  device_id: string
  measurement: Measurement
  time_ms: number
  seq: number
  dimensions: string | null
  measures: string
  alarms: string | null
}

function assertField(field: string): void {
  if (!FIELD_NAME_PATTERN.test(field))
    throw new CloudError('CLOUD_QUERY_INVALID', `field '${field.slice(0, 80)}' must match ${FIELD_NAME_PATTERN}`)
}

function assertWindow(windowMs: number): void {
  if (!Number.isInteger(windowMs) || windowMs < 1000)
    throw new CloudError('CLOUD_QUERY_INVALID', `windowMs must be an integer >= 1000, got ${windowMs}`)
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true
  return false
}

const dimsMatch = (row: PointRow, dims: Readonly<Record<string, string>> | undefined): boolean => {
  if (!dims) return true
  const d = (row.dimensions ? JSON.parse(row.dimensions) : {}) as Record<string, string>
  return Object.entries(dims).every(([k, v]) => d[k] === v)
}

/** The SQLite store, with a writer that runs inside a transaction its caller holds on the same database. */
export interface SqliteTimeSeriesStore extends TimeSeriesStore {
  /**
   * Inserts the points in the caller's open transaction (no commit of its own): the router writes them with their
   * high-water mark, so the local time series, like the tracker and the archive spool, commits once per envelope.
   */
  writeInTransaction(points: readonly TimeSeriesPoint[]): SinkWriteResult
}

/**
 * The local time series store: one SQLite table, measures as JSON, alarms as a JSON array (NULL when none). The
 * cloud keeps it in `ingest.db` beside the high-water marks (`createLocalIngest`).
 */
export function createSqliteTimeSeriesStore(db: Database): SqliteTimeSeriesStore {
  // Rows appended in arrival order (a rowid table: each write fills new pages at the end), found through a unique
  // index keyed for the range scans. The key includes the seq, so a point written twice (a crash between the write
  // and the high-water mark) is stored once. Measured against one WITHOUT ROWID B-tree on that key, where every
  // device's rows are inserted mid-tree and split pages there: 15 % less CPU per point (issue #17). Files made
  // with that layout keep it; its primary key is the same unique key.
  db.exec(`CREATE TABLE IF NOT EXISTS ts_points (
    device_id TEXT NOT NULL, measurement TEXT NOT NULL, time_ms INTEGER NOT NULL, seq INTEGER NOT NULL,
    dimensions TEXT, measures TEXT NOT NULL, alarms TEXT)`)
  const table = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'ts_points'").pluck().get() as string
  if (!/WITHOUT ROWID/i.test(table)) {
    db.exec('CREATE UNIQUE INDEX IF NOT EXISTS ts_points_key ON ts_points (device_id, measurement, time_ms, seq)')
  }
  // Multi-row INSERTs (up to 100 rows per statement) cross into SQLite once per chunk instead of once per row.
  const COLUMNS = 7
  const insertStmts = new Map<number, ReturnType<Database['prepare']>>()
  const insertRows = (n: number) => {
    let stmt = insertStmts.get(n)
    if (!stmt) {
      const values = Array.from({ length: n }, () => '(?, ?, ?, ?, ?, ?, ?)').join(', ')
      stmt = db.prepare(
        `INSERT OR IGNORE INTO ts_points (device_id, measurement, time_ms, seq, dimensions, measures, alarms) VALUES ${values}`,
      )
      insertStmts.set(n, stmt)
    }
    return stmt
  }
  const EMPTY: Record<string, string> = {}
  const insertAll = (points: readonly TimeSeriesPoint[]): void => {
    for (let start = 0; start < points.length; start += 100) {
      const end = Math.min(points.length, start + 100)
      const params: unknown[] = new Array((end - start) * COLUMNS)
      let k = 0
      for (let i = start; i < end; i++) {
        const p = points[i]!
        params[k++] = p.deviceId
        params[k++] = p.measurement
        params[k++] = p.timeMs
        params[k++] = p.seq
        params[k++] = hasKeys(p.dimensions) ? JSON.stringify(p.dimensions) : null
        params[k++] = p.measuresJson ?? JSON.stringify(p.measures)
        params[k++] = p.alarms.length > 0 ? JSON.stringify(p.alarms) : null
      }
      insertRows(end - start).run(params)
    }
  }
  const writeAll = db.transaction(insertAll)
  const rangeStmt = db.prepare(
    'SELECT * FROM ts_points WHERE device_id = ? AND measurement = ? AND time_ms >= ? AND time_ms < ? ORDER BY time_ms, seq',
  )
  const devicesStmt = db.prepare(
    'SELECT DISTINCT device_id FROM ts_points WHERE measurement = ? AND time_ms >= ? AND time_ms < ? ORDER BY device_id',
  )
  const alarmStmt = db.prepare(`SELECT (time_ms - time_ms % @w) AS windowStartMs, j.value AS alarm, COUNT(*) AS count
    FROM ts_points, json_each(ts_points.alarms) AS j
    WHERE device_id = @d AND measurement = @m AND time_ms >= @from AND time_ms < @to AND alarms IS NOT NULL
    GROUP BY windowStartMs, alarm ORDER BY windowStartMs, alarm`)
  const windowStmts = new Map<string, ReturnType<Database['prepare']>>()
  const windowStmt = (field: string, dimKeys: readonly string[]) => {
    const key = [field, ...dimKeys].join('\0')
    let s = windowStmts.get(key)
    if (!s) {
      // Field and dimension names are checked against FIELD_NAME_PATTERN, so they are safe inside the JSON paths.
      const dimFilter = dimKeys.map((k, i) => ` AND json_extract(dimensions, '$.${k}') = @dim${i}`).join('')
      s = db.prepare(`SELECT (time_ms - time_ms % @w) AS windowStartMs, COUNT(v) AS count, AVG(v) AS mean, MIN(v) AS min, MAX(v) AS max,
          SUM(v * v) AS sumSq, SUM(v) AS sum
        FROM (SELECT time_ms, json_extract(measures, '$.${field}') AS v FROM ts_points
              WHERE device_id = @d AND measurement = @m AND time_ms >= @from AND time_ms < @to${dimFilter})
        WHERE v IS NOT NULL GROUP BY windowStartMs ORDER BY windowStartMs`)
      windowStmts.set(key, s)
    }
    return s
  }
  return {
    storesMeasuresJson: true,
    async write(points) {
      writeAll(points)
      return { written: points.length, rejected: NOTHING_REJECTED }
    },
    writeInTransaction(points) {
      insertAll(points)
      return { written: points.length, rejected: NOTHING_REJECTED }
    },
    async range(q: RangeQuery) {
      const rows = (rangeStmt.all(q.deviceId, q.measurement, q.fromMs, q.toMs) as PointRow[]).filter((r) => dimsMatch(r, q.dimensions))
      return rows.map((r) => ({
        deviceId: r.device_id,
        measurement: r.measurement,
        timeMs: r.time_ms,
        seq: r.seq,
        dimensions: r.dimensions ? JSON.parse(r.dimensions) : EMPTY,
        measures: JSON.parse(r.measures),
        alarms: r.alarms ? JSON.parse(r.alarms) : [],
      }))
    },
    async windows(q: WindowQuery) {
      assertField(q.field)
      const w = q.windowMs ?? TEN_MINUTES_MS
      assertWindow(w)
      const dimEntries = Object.entries(q.dimensions ?? {})
      for (const [k] of dimEntries) assertField(k)
      const params: Record<string, unknown> = { w, d: q.deviceId, m: q.measurement, from: q.fromMs, to: q.toMs }
      dimEntries.forEach(([, v], i) => {
        params[`dim${i}`] = v
      })
      const rows = windowStmt(
        q.field,
        dimEntries.map(([k]) => k),
      ).all(params) as Array<Omit<WindowAggregate, 'std'> & { sumSq: number; sum: number }>
      return rows.map(({ sumSq, sum, ...r }) => ({
        ...r,
        // Sample standard deviation, as InfluxQL STDDEV() and Timestream stddev().
        std: r.count < 2 ? null : Math.sqrt(Math.max(0, (sumSq - (sum * sum) / r.count) / (r.count - 1))),
      }))
    },
    async alarmCounts(q) {
      const w = q.windowMs ?? TEN_MINUTES_MS
      assertWindow(w)
      return alarmStmt.all({ w, d: q.deviceId, m: q.measurement, from: q.fromMs, to: q.toMs }) as AlarmCount[]
    },
    async devices(measurement, fromMs = Number.MIN_SAFE_INTEGER, toMs = Number.MAX_SAFE_INTEGER) {
      return (devicesStmt.all(measurement, fromMs, toMs) as Array<{ device_id: string }>).map((r) => r.device_id)
    },
    async close() {},
  }
}
