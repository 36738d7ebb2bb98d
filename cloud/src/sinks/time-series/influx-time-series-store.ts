import type { Logger } from 'pino'
import { CloudError } from '../../errors.js'
import { type BackoffPolicy, backoffDelayMs, resolveBackoff } from '../retry.js'
import { NOTHING_REJECTED, type RejectedEntry } from '../sink-result.js'
import { ALARM_FIELD_PREFIX, toLineProtocol } from './line-protocol.js'
import {
  type AlarmCount,
  FIELD_NAME_PATTERN,
  type Measurement,
  type RangeQuery,
  TEN_MINUTES_MS,
  type TimeSeriesPoint,
  type TimeSeriesStore,
  type WindowQuery,
} from './time-series-store.js'

export interface InfluxOptions {
  readonly url: string
  /** 1: `POST /write?db=` (InfluxDB 1.x). 2: `POST /api/v2/write?org=&bucket=` with `Authorization: Token` (InfluxDB 2.x, Timestream for InfluxDB). */
  readonly apiVersion: 1 | 2
  /** v1 database; also the database InfluxQL queries name (a v2 bucket needs a DBRP mapping to it). */
  readonly database: string
  readonly org?: string
  readonly bucket?: string
  readonly token?: string
  /**
   * HTTP Basic credentials, for the 1.x API only (`apiVersion: 1`): an InfluxDB 1.x user, or on InfluxDB 2.x a v1
   * authorization (`influx v1 auth create`); the 2.x API takes tokens only. Exclusive with `token`.
   */
  readonly basicAuth?: { readonly username: string; readonly password: string }
  readonly logger: Logger
  readonly backoff?: BackoffPolicy
  /** Points per write request (InfluxDB recommends batches of about 5,000 lines). @default 5000 */
  readonly batchSize?: number
}

type Series = { name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }

const q = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
const ident = (s: string) => `"${s.replace(/"/g, '\\"')}"`

function authorizationHeaders(options: InfluxOptions): Record<string, string> {
  const { token, basicAuth } = options
  if (token && basicAuth) throw new CloudError('CLOUD_CONFIG_INVALID', 'InfluxDB options: set token or basicAuth, not both')
  if (token) return { authorization: `Token ${token}` }
  if (basicAuth === undefined) return {}
  if (options.apiVersion !== 1)
    throw new CloudError(
      'CLOUD_CONFIG_INVALID',
      `InfluxDB basicAuth needs apiVersion 1 (the 2.x API takes tokens only); received ${options.apiVersion}`,
    )
  // RFC 7617: base64 of user-id ":" password; a user-id with a colon cannot be sent this way.
  if (basicAuth.username.includes(':'))
    throw new CloudError('CLOUD_CONFIG_INVALID', 'InfluxDB basicAuth username must not contain a colon (RFC 7617)')
  return { authorization: `Basic ${Buffer.from(`${basicAuth.username}:${basicAuth.password}`).toString('base64')}` }
}

/**
 * Time series in InfluxDB: line protocol over HTTP to write, InfluxQL (`/query`, the 1.x API that InfluxDB 2.x and
 * Timestream for InfluxDB also serve) to read. 429/503 are retried after backoff; a 400 "partial write" means the
 * valid points were written and the others refused, which is reported as rejected.
 */
export function createInfluxTimeSeriesStore(options: InfluxOptions): TimeSeriesStore {
  const { logger } = options
  const backoff = resolveBackoff(options.backoff)
  const batchSize = options.batchSize ?? 5000
  const headers = authorizationHeaders(options)
  const writeUrl =
    options.apiVersion === 2
      ? `${options.url}/api/v2/write?${new URLSearchParams({ org: options.org ?? '', bucket: options.bucket ?? options.database, precision: 'ms' })}`
      : `${options.url}/write?${new URLSearchParams({ db: options.database, precision: 'ms' })}`

  const writeBody = async (body: string, rejected: RejectedEntry[], firstIndex: number): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(writeUrl, { method: 'POST', headers: { ...headers, 'content-type': 'text/plain; charset=utf-8' }, body })
      if (res.status === 204) return
      const text = await res.text()
      if ((res.status === 429 || res.status === 503) && attempt + 1 < backoff.maxAttempts) {
        const retryAfterS = Number(res.headers.get('retry-after'))
        await backoff.sleep(Number.isFinite(retryAfterS) && retryAfterS > 0 ? retryAfterS * 1000 : backoffDelayMs(attempt, backoff))
        continue
      }
      if (res.status === 400 && /partial write/i.test(text)) {
        rejected.push({ index: firstIndex, code: 'PartialWrite', message: text.slice(0, 500) })
        logger.warn({ status: res.status, body: text.slice(0, 500) }, 'influxdb partial write')
        return
      }
      throw new CloudError('CLOUD_INFLUX_WRITE_FAILED', `InfluxDB write answered ${res.status}: ${text.slice(0, 300)}`)
    }
  }

  const query = async (influxql: string): Promise<Series[]> => {
    const url = `${options.url}/query?${new URLSearchParams({ db: options.database, epoch: 'ms', q: influxql })}`
    const res = await fetch(url, { headers })
    const text = await res.text()
    if (res.status !== 200)
      throw new CloudError('CLOUD_INFLUX_QUERY_FAILED', `InfluxDB query answered ${res.status}: ${text.slice(0, 300)}`)
    const body = JSON.parse(text) as { results: Array<{ series?: Series[]; error?: string }> }
    const first = body.results[0]
    if (first?.error) throw new CloudError('CLOUD_INFLUX_QUERY_FAILED', `InfluxQL error: ${first.error}`)
    return first?.series ?? []
  }

  const where = (r: Omit<RangeQuery, 'measurement'>) => {
    const dims = Object.entries(r.dimensions ?? {})
      .map(([k, v]) => ` AND ${ident(k)} = ${q(v)}`)
      .join('')
    return `WHERE "device_id" = ${q(r.deviceId)}${dims} AND time >= ${r.fromMs}ms AND time < ${r.toMs}ms`
  }

  return {
    async write(points) {
      const rejected: RejectedEntry[] = []
      for (let i = 0; i < points.length; i += batchSize) {
        await writeBody(
          points
            .slice(i, i + batchSize)
            .map(toLineProtocol)
            .join('\n'),
          rejected,
          i,
        )
      }
      return { written: points.length, rejected: rejected.length > 0 ? rejected : NOTHING_REJECTED }
    },
    async range(r) {
      // GROUP BY * returns tags in each series' `tags`, leaving only fields in the columns.
      const series = await query(`SELECT * FROM ${ident(r.measurement)} ${where(r)} GROUP BY *`)
      const out: TimeSeriesPoint[] = []
      for (const s of series) {
        const { device_id: _device, ...dimensions } = s.tags ?? {}
        for (const row of s.values) {
          const measures: Record<string, number> = {}
          const alarms: string[] = []
          let seq = 0
          s.columns.forEach((c, i) => {
            const v = row[i]
            if (c === 'time' || v === null || v === undefined) return
            if (c === 'seq') seq = Number(v)
            else if (c.startsWith(ALARM_FIELD_PREFIX)) alarms.push(c.slice(ALARM_FIELD_PREFIX.length))
            else if (typeof v === 'number') measures[c] = v
          })
          out.push({ deviceId: r.deviceId, measurement: r.measurement, timeMs: Number(row[0]), seq, dimensions, measures, alarms })
        }
      }
      return out.sort((a, b) => a.timeMs - b.timeMs || a.seq - b.seq)
    },
    async windows(w: WindowQuery) {
      if (!FIELD_NAME_PATTERN.test(w.field))
        throw new CloudError('CLOUD_QUERY_INVALID', `field '${w.field.slice(0, 80)}' is not a plain name`)
      const windowMs = w.windowMs ?? TEN_MINUTES_MS
      const f = ident(w.field)
      const series = await query(
        `SELECT COUNT(${f}), MEAN(${f}), MIN(${f}), MAX(${f}), STDDEV(${f}) FROM ${ident(w.measurement)} ${where(w)} GROUP BY time(${windowMs}ms)`,
      )
      const rows = series[0]?.values ?? []
      return rows
        .filter((r) => Number(r[1]) > 0)
        .map((r) => ({
          windowStartMs: Number(r[0]),
          count: Number(r[1]),
          mean: Number(r[2]),
          min: Number(r[3]),
          max: Number(r[4]),
          std: r[5] === null ? null : Number(r[5]),
        }))
    },
    async alarmCounts(a) {
      const windowMs = a.windowMs ?? TEN_MINUTES_MS
      const series = await query(
        `SELECT COUNT(/^${ALARM_FIELD_PREFIX}/) FROM ${ident(a.measurement)} ${where(a)} GROUP BY time(${windowMs}ms)`,
      )
      const out: AlarmCount[] = []
      for (const s of series) {
        for (const row of s.values) {
          s.columns.forEach((c, i) => {
            const n = Number(row[i])
            if (c !== 'time' && n > 0) out.push({ windowStartMs: Number(row[0]), alarm: c.replace(/^count_alarm_/, ''), count: n })
          })
        }
      }
      return out.sort((x, y) => x.windowStartMs - y.windowStartMs || x.alarm.localeCompare(y.alarm))
    },
    async devices(measurement: Measurement, fromMs?: number, toMs?: number) {
      const range = fromMs !== undefined && toMs !== undefined ? ` WHERE time >= ${fromMs}ms AND time < ${toMs}ms` : ''
      const series = await query(`SELECT COUNT("seq") FROM ${ident(measurement)}${range} GROUP BY "device_id"`)
      return series
        .map((s) => s.tags?.['device_id'] ?? '')
        .filter((d) => d !== '')
        .sort()
    },
    async close() {},
  }
}
