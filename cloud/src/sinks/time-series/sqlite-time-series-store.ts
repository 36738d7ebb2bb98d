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

const POINT_COLUMNS = 'device_id, measurement, time_ms, seq, dimensions, measures, alarms'
/** A point's own columns: its device and measurement are its batch's. */
const ROW_COLUMNS = 'time_ms, seq, dimensions, measures, alarms'
/** Points of the batches of one device and measurement that overlap [@from, @to), joined through their row ranges. */
const IN_RANGE = `FROM ts_batches AS b CROSS JOIN ts_rows AS p
  WHERE b.device_id = @d AND b.measurement = @m AND b.max_time_ms >= @from AND b.min_time_ms < @to
    AND p.rowid BETWEEN b.first_row AND b.last_row AND p.time_ms >= @from AND p.time_ms < @to`

/**
 * The local time series store: points as rows (measures as JSON, alarms as a JSON array, NULL when none), appended
 * in arrival order, and one index entry per write instead of one per point: `ts_batches` holds each write's device,
 * measurement, time span and row range, and queries go from the batches overlapping the range to their rows. A
 * per-point index (the layout before) was inserted into mid-tree at every envelope, each device's key range
 * splitting pages there: without it the router did ~20 % more records per CPU-second (bench:router, issue #17).
 * A row holds the point's own columns (its device and measurement are its batch's). Points stay unique on (device,
 * measurement, time, seq): a write skips those already stored (one index seek when the write is newer than what is
 * stored, the router's case). The cloud keeps this in `ingest.db`
 * (`createLocalIngest`); a `ts_points` table of the layouts before, found in the same file, is converted on open.
 */
export function createSqliteTimeSeriesStore(db: Database): SqliteTimeSeriesStore {
  db.exec(`CREATE TABLE IF NOT EXISTS ts_rows (
    time_ms INTEGER NOT NULL, seq INTEGER NOT NULL, dimensions TEXT, measures TEXT NOT NULL, alarms TEXT)`)
  // The first version of this layout (one commit of issue #17) kept each row's device and measurement too.
  const rowColumns = db.prepare("SELECT name FROM pragma_table_info('ts_rows')").pluck().all()
  if (rowColumns.includes('device_id')) db.exec('ALTER TABLE ts_rows DROP COLUMN device_id; ALTER TABLE ts_rows DROP COLUMN measurement')
  db.exec(`CREATE TABLE IF NOT EXISTS ts_batches (device_id TEXT NOT NULL, measurement TEXT NOT NULL,
    min_time_ms INTEGER NOT NULL, max_time_ms INTEGER NOT NULL, first_row INTEGER NOT NULL, last_row INTEGER NOT NULL)`)
  db.exec('CREATE INDEX IF NOT EXISTS ts_batches_span ON ts_batches (device_id, measurement, max_time_ms)')
  // Multi-row INSERTs (up to 100 rows per statement) cross into SQLite once per chunk instead of once per row.
  const COLUMNS = 5
  const insertStmts = new Map<number, ReturnType<Database['prepare']>>()
  const insertRows = (n: number) => {
    let stmt = insertStmts.get(n)
    if (!stmt) {
      const values = Array.from({ length: n }, () => '(?, ?, ?, ?, ?)').join(', ')
      stmt = db.prepare(`INSERT INTO ts_rows (${ROW_COLUMNS}) VALUES ${values}`)
      insertStmts.set(n, stmt)
    }
    return stmt
  }
  const insertBatch = db.prepare(
    'INSERT INTO ts_batches (device_id, measurement, min_time_ms, max_time_ms, first_row, last_row) VALUES (?, ?, ?, ?, ?, ?)',
  )
  const storedStmt = db.prepare(`SELECT p.time_ms AS t, p.seq AS s ${IN_RANGE}`)
  const EMPTY: Record<string, string> = {}

  /** The points of `run` (one device and measurement) not stored yet, nor earlier in the run. */
  const unstored = (run: readonly TimeSeriesPoint[], minMs: number, maxMs: number): readonly TimeSeriesPoint[] => {
    const first = run[0]!
    const stored = storedStmt.all({ d: first.deviceId, m: first.measurement, from: minMs, to: maxMs + 1 }) as Array<{
      t: number
      s: number
    }>
    let increasing = true
    for (let i = 1; i < run.length && increasing; i++) {
      const a = run[i - 1]!
      const b = run[i]!
      increasing = a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.seq < b.seq)
    }
    if (stored.length === 0 && increasing) return run
    const seen = new Set(stored.map((r) => `${r.t}:${r.s}`))
    return run.filter((p) => {
      const key = `${p.timeMs}:${p.seq}`
      if (seen.has(key)) return false
      seen.add(key)
      return true
    })
  }

  /** Inserts one device's and measurement's points as one batch (their rows are consecutive: one writer). */
  const insertRun = (run: readonly TimeSeriesPoint[]): void => {
    let minMs = run[0]!.timeMs
    let maxMs = minMs
    for (const p of run) {
      if (p.timeMs < minMs) minMs = p.timeMs
      else if (p.timeMs > maxMs) maxMs = p.timeMs
    }
    const points = unstored(run, minMs, maxMs)
    if (points.length === 0) return
    let firstRow = 0
    let lastRow = 0
    for (let start = 0; start < points.length; start += 100) {
      const end = Math.min(points.length, start + 100)
      const params: unknown[] = new Array((end - start) * COLUMNS)
      let k = 0
      for (let i = start; i < end; i++) {
        const p = points[i]!
        params[k++] = p.timeMs
        params[k++] = p.seq
        params[k++] = hasKeys(p.dimensions) ? JSON.stringify(p.dimensions) : null
        params[k++] = p.measuresJson ?? JSON.stringify(p.measures)
        params[k++] = p.alarms.length > 0 ? JSON.stringify(p.alarms) : null
      }
      lastRow = Number(insertRows(end - start).run(params).lastInsertRowid)
      if (start === 0) firstRow = lastRow - (end - start) + 1
    }
    // SQLite gives a new row the largest rowid + 1; a range with a gap would hide rows from the queries.
    if (lastRow - firstRow + 1 !== points.length) {
      throw new CloudError('CLOUD_TIME_SERIES_ROWS', `rows ${firstRow}..${lastRow} are not the ${points.length} points just inserted`)
    }
    if (points !== run) {
      minMs = points[0]!.timeMs
      maxMs = minMs
      for (const p of points) {
        if (p.timeMs < minMs) minMs = p.timeMs
        else if (p.timeMs > maxMs) maxMs = p.timeMs
      }
    }
    insertBatch.run(run[0]!.deviceId, run[0]!.measurement, minMs, maxMs, firstRow, lastRow)
  }

  const insertAll = (points: readonly TimeSeriesPoint[]): void => {
    let start = 0
    for (let i = 1; i <= points.length; i++) {
      const p = points[i]
      const s = points[start]!
      if (p && p.deviceId === s.deviceId && p.measurement === s.measurement) continue
      insertRun(start === 0 && i === points.length ? points : points.slice(start, i))
      start = i
    }
  }
  const writeAll = db.transaction(insertAll)
  if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ts_points'").get() !== undefined) {
    db.transaction(() => {
      copyLegacyPoints(db, 'main', insertAll)
      db.exec('DROP TABLE main.ts_points')
    })()
  }

  const rangeStmt = db.prepare(`SELECT b.device_id, b.measurement, p.time_ms, p.seq, p.dimensions, p.measures, p.alarms ${IN_RANGE}
    ORDER BY p.time_ms, p.seq`)
  const devicesStmt = db.prepare(`SELECT DISTINCT b.device_id FROM ts_batches AS b
    WHERE b.measurement = @m AND b.max_time_ms >= @from AND b.min_time_ms < @to AND EXISTS (
      SELECT 1 FROM ts_rows AS p WHERE p.rowid BETWEEN b.first_row AND b.last_row AND p.time_ms >= @from AND p.time_ms < @to)
    ORDER BY b.device_id`)
  const alarmStmt = db.prepare(`SELECT (p.time_ms - p.time_ms % @w) AS windowStartMs, j.value AS alarm, COUNT(*) AS count
    ${IN_RANGE.replace('CROSS JOIN ts_rows AS p', 'CROSS JOIN ts_rows AS p CROSS JOIN json_each(p.alarms) AS j')} AND p.alarms IS NOT NULL
    GROUP BY windowStartMs, alarm ORDER BY windowStartMs, alarm`)
  const windowStmts = new Map<string, ReturnType<Database['prepare']>>()
  const windowStmt = (field: string, dimKeys: readonly string[]) => {
    const key = [field, ...dimKeys].join('\0')
    let s = windowStmts.get(key)
    if (!s) {
      // Field and dimension names are checked against FIELD_NAME_PATTERN, so they are safe inside the JSON paths.
      const dimFilter = dimKeys.map((k, i) => ` AND json_extract(p.dimensions, '$.${k}') = @dim${i}`).join('')
      s = db.prepare(`SELECT (time_ms - time_ms % @w) AS windowStartMs, COUNT(v) AS count, AVG(v) AS mean, MIN(v) AS min, MAX(v) AS max,
          SUM(v * v) AS sumSq, SUM(v) AS sum
        FROM (SELECT p.time_ms AS time_ms, json_extract(p.measures, '$.${field}') AS v ${IN_RANGE}${dimFilter})
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
      const rows = (rangeStmt.all({ d: q.deviceId, m: q.measurement, from: q.fromMs, to: q.toMs }) as PointRow[]).filter((r) =>
        dimsMatch(r, q.dimensions),
      )
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
      return (devicesStmt.all({ m: measurement, from: fromMs, to: toMs }) as Array<{ device_id: string }>).map((r) => r.device_id)
    },
    async close() {},
  }
}

/**
 * Copies the points of a `ts_points` table of the layouts before (one row per point, unique on device, measurement,
 * time, seq) in `schema` through `write`, in key order, so each device's points become a few large batches. Runs
 * inside the caller's transaction.
 */
export function copyLegacyPoints(db: Database, schema: string, write: (points: readonly TimeSeriesPoint[]) => void): number {
  const page = db.prepare(`SELECT ${POINT_COLUMNS} FROM ${schema}.ts_points
    WHERE (device_id, measurement, time_ms, seq) > (?, ?, ?, ?) ORDER BY device_id, measurement, time_ms, seq LIMIT 5000`)
  let after: [string, string, number, number] = ['', '', Number.MIN_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]
  let copied = 0
  for (;;) {
    const rows = page.all(...after) as PointRow[]
    if (rows.length === 0) return copied
    write(
      rows.map((r) => ({
        deviceId: r.device_id,
        measurement: r.measurement,
        timeMs: r.time_ms,
        seq: r.seq,
        dimensions: r.dimensions ? JSON.parse(r.dimensions) : {},
        measures: {},
        measuresJson: r.measures,
        alarms: r.alarms ? JSON.parse(r.alarms) : [],
      })),
    )
    copied += rows.length
    const last = rows[rows.length - 1]!
    after = [last.device_id, last.measurement, last.time_ms, last.seq]
  }
}
