import type { Database } from 'better-sqlite3'
import { CloudError } from '../../errors.js'
import { NOTHING_REJECTED, type SinkWriteResult } from '../sink-result.js'
import { convertLegacyTables } from './sqlite-time-series-legacy.js'
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

/** A stored point inside its write's JSON array: [timeMs, seq, measures, alarms or null, dimensions or null]. */
type StoredPoint = [number, number, Record<string, number>, string[] | null, Record<string, string> | null]

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

const dimsMatch = (stored: Record<string, string> | null, dims: Readonly<Record<string, string>> | undefined): boolean => {
  if (!dims) return true
  const d = stored ?? {}
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

/** Points per stored write at most (a larger write, e.g. a file moved in, is stored as several). */
const MAX_POINTS_PER_WRITE = 1000
const EMPTY: Record<string, string> = {}

/**
 * The local time series store: one row per write (per envelope when the router writes) and per device and
 * measurement, holding its points as one JSON array of `[timeMs, seq, measures, alarms | null, dimensions | null]`
 * with the write's time span, indexed on (device, measurement, latest time). Reads parse the writes that overlap the
 * range and keep the points inside it. Against a row and an index entry per point, which SQLite inserted into
 * mid-tree at every envelope, and then a row per point with one index entry per write, bench:router did ~17 % and
 * then ~11 % more records per CPU-second (paired runs, issue #17). Points stay unique on (device, measurement, time,
 * seq): a write skips those already stored (one index seek when it is newer than what is stored, the router's
 * case). The cloud keeps this in `ingest.db` (`createLocalIngest`); tables of the layouts before, found in the same
 * file, are converted on open.
 */
export function createSqliteTimeSeriesStore(db: Database): SqliteTimeSeriesStore {
  db.exec(`CREATE TABLE IF NOT EXISTS ts_writes (device_id TEXT NOT NULL, measurement TEXT NOT NULL,
    min_time_ms INTEGER NOT NULL, max_time_ms INTEGER NOT NULL, points TEXT NOT NULL)`)
  // The earliest time is in the index too, so a range is found from the index alone.
  db.exec('CREATE INDEX IF NOT EXISTS ts_writes_span ON ts_writes (device_id, measurement, max_time_ms, min_time_ms)')
  const insertWrite = db.prepare('INSERT INTO ts_writes (device_id, measurement, min_time_ms, max_time_ms, points) VALUES (?, ?, ?, ?, ?)')
  const overlapping = db
    .prepare(`SELECT points FROM ts_writes WHERE device_id = @d AND measurement = @m AND max_time_ms >= @from AND min_time_ms < @to
      ORDER BY rowid`)
    .pluck()

  /** The stored points of one device and measurement in [fromMs, toMs), in write order. */
  const storedIn = (deviceId: string, measurement: Measurement, fromMs: number, toMs: number): StoredPoint[] => {
    const out: StoredPoint[] = []
    for (const text of overlapping.all({ d: deviceId, m: measurement, from: fromMs, to: toMs }) as string[]) {
      for (const p of JSON.parse(text) as StoredPoint[]) if (p[0] >= fromMs && p[0] < toMs) out.push(p)
    }
    return out
  }

  /** The points of `run` (one device and measurement) not stored yet, nor earlier in the run. */
  const unstored = (run: readonly TimeSeriesPoint[], minMs: number, maxMs: number): readonly TimeSeriesPoint[] => {
    const first = run[0]!
    const stored = storedIn(first.deviceId, first.measurement, minMs, maxMs + 1)
    let increasing = true
    for (let i = 1; i < run.length && increasing; i++) {
      const a = run[i - 1]!
      const b = run[i]!
      increasing = a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.seq < b.seq)
    }
    if (stored.length === 0 && increasing) return run
    const seen = new Set(stored.map((p) => `${p[0]}:${p[1]}`))
    return run.filter((p) => {
      const key = `${p.timeMs}:${p.seq}`
      if (seen.has(key)) return false
      seen.add(key)
      return true
    })
  }

  /** Stores one device's and measurement's points as one row. */
  const insertRun = (run: readonly TimeSeriesPoint[]): void => {
    let minMs = run[0]!.timeMs
    let maxMs = minMs
    for (const p of run) {
      if (p.timeMs < minMs) minMs = p.timeMs
      else if (p.timeMs > maxMs) maxMs = p.timeMs
    }
    const points = unstored(run, minMs, maxMs)
    if (points.length === 0) return
    let text = '['
    for (let i = 0; i < points.length; i++) {
      const p = points[i]!
      if (points !== run) {
        if (i === 0) minMs = maxMs = p.timeMs
        else if (p.timeMs < minMs) minMs = p.timeMs
        else if (p.timeMs > maxMs) maxMs = p.timeMs
      }
      // measuresJson is the record's own validated JSON text (the router copies it), an object of numbers.
      text += `${i === 0 ? '' : ','}[${p.timeMs},${p.seq},${p.measuresJson ?? JSON.stringify(p.measures)},${
        p.alarms.length > 0 ? JSON.stringify(p.alarms) : 'null'
      },${hasKeys(p.dimensions) ? JSON.stringify(p.dimensions) : 'null'}]`
    }
    insertWrite.run(points[0]!.deviceId, points[0]!.measurement, minMs, maxMs, `${text}]`)
  }

  const insertAll = (points: readonly TimeSeriesPoint[]): void => {
    let start = 0
    for (let i = 1; i <= points.length; i++) {
      const p = points[i]
      const s = points[start]!
      if (p && p.deviceId === s.deviceId && p.measurement === s.measurement && i - start < MAX_POINTS_PER_WRITE) continue
      insertRun(start === 0 && i === points.length ? points : points.slice(start, i))
      start = i
    }
  }
  const writeAll = db.transaction(insertAll)
  convertLegacyTables(db, insertAll)

  // Devices with a write inside the range, and the writes that straddle one of its ends (read point by point: a
  // write's span can overlap the range with none of its points inside it).
  const devicesInside = db
    .prepare('SELECT DISTINCT device_id FROM ts_writes WHERE measurement = @m AND min_time_ms >= @from AND max_time_ms < @to')
    .pluck()
  const straddling = db.prepare(`SELECT device_id, points FROM ts_writes WHERE measurement = @m AND max_time_ms >= @from
    AND min_time_ms < @to AND NOT (min_time_ms >= @from AND max_time_ms < @to)`)

  /** Per window of `windowMs` aligned to the epoch (as SQL's `t - t % w`), in window order. */
  const byWindow = <T>(points: readonly StoredPoint[], windowMs: number, add: (acc: T | undefined, p: StoredPoint) => T) => {
    const windows = new Map<number, T>()
    for (const p of points) {
      const w = p[0] - (p[0] % windowMs)
      windows.set(w, add(windows.get(w), p))
    }
    return [...windows].sort((a, b) => a[0] - b[0])
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
      return storedIn(q.deviceId, q.measurement, q.fromMs, q.toMs)
        .filter((p) => dimsMatch(p[4], q.dimensions))
        .sort((a, b) => a[0] - b[0] || a[1] - b[1])
        .map((p) => ({
          deviceId: q.deviceId,
          measurement: q.measurement,
          timeMs: p[0],
          seq: p[1],
          dimensions: p[4] ?? EMPTY,
          measures: p[2],
          alarms: p[3] ?? [],
        }))
    },
    async windows(q: WindowQuery) {
      assertField(q.field)
      const w = q.windowMs ?? TEN_MINUTES_MS
      assertWindow(w)
      for (const k of Object.keys(q.dimensions ?? {})) assertField(k)
      const values = storedIn(q.deviceId, q.measurement, q.fromMs, q.toMs).filter(
        (p) => dimsMatch(p[4], q.dimensions) && typeof p[2][q.field] === 'number',
      )
      type Acc = { count: number; sum: number; sumSq: number; min: number; max: number }
      return byWindow<Acc>(values, w, (acc, p) => {
        const v = p[2][q.field]!
        if (!acc) return { count: 1, sum: v, sumSq: v * v, min: v, max: v }
        acc.count++
        acc.sum += v
        acc.sumSq += v * v
        if (v < acc.min) acc.min = v
        if (v > acc.max) acc.max = v
        return acc
      }).map(
        ([windowStartMs, a]): WindowAggregate => ({
          windowStartMs,
          count: a.count,
          mean: a.sum / a.count,
          min: a.min,
          max: a.max,
          // Sample standard deviation, as InfluxQL STDDEV() and Timestream stddev().
          std: a.count < 2 ? null : Math.sqrt(Math.max(0, (a.sumSq - (a.sum * a.sum) / a.count) / (a.count - 1))),
        }),
      )
    },
    async alarmCounts(q) {
      const w = q.windowMs ?? TEN_MINUTES_MS
      assertWindow(w)
      const withAlarms = storedIn(q.deviceId, q.measurement, q.fromMs, q.toMs).filter((p) => p[3] !== null)
      const out: AlarmCount[] = []
      for (const [windowStartMs, counts] of byWindow<Map<string, number>>(withAlarms, w, (acc, p) => {
        const m = acc ?? new Map<string, number>()
        for (const a of p[3]!) m.set(a, (m.get(a) ?? 0) + 1)
        return m
      })) {
        for (const alarm of [...counts.keys()].sort()) out.push({ windowStartMs, alarm, count: counts.get(alarm)! })
      }
      return out
    },
    async devices(measurement, fromMs = Number.MIN_SAFE_INTEGER, toMs = Number.MAX_SAFE_INTEGER) {
      const q = { m: measurement, from: fromMs, to: toMs }
      const devices = new Set(devicesInside.all(q) as string[])
      for (const w of straddling.all(q) as Array<{ device_id: string; points: string }>) {
        if (devices.has(w.device_id)) continue
        if ((JSON.parse(w.points) as StoredPoint[]).some((p) => p[0] >= fromMs && p[0] < toMs)) devices.add(w.device_id)
      }
      return [...devices].sort()
    },
    async close() {},
  }
}
