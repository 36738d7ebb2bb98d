import { type Datum, QueryCommand, type QueryCommandOutput, type TimestreamQueryClient } from '@aws-sdk/client-timestream-query'
import { type TurbineSample, thingNameRegExp } from '@edgetwin/shared-schemas'
import { CloudError } from '../../errors.js'
import type { TurbineSeries } from '../../twin/ports.js'
import type { TimeSeriesPoint } from './time-series-store.js'
import { toTurbineSample } from './turbine-series.js'

export interface TimestreamTurbineSeriesOptions {
  /** Against a custom endpoint (VPC endpoint, tests) set `endpoint`; otherwise the SDK discovers the cell endpoint. */
  readonly client: TimestreamQueryClient
  /** The database and table the router's Timestream writer fills (`createTimestreamWriter`). */
  readonly database: string
  readonly table: string
}

/** Timestream SQL identifiers are double-quoted; a quote inside doubles (Timestream query language reference). */
const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`

/** `2026-10-01 12:00:00.123000000` (TIMESTAMP, UTC, nanoseconds) → epoch milliseconds. */
export function parseTimestreamTimestamp(value: string): number {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?$/.exec(value)
  if (!m) throw new CloudError('CLOUD_TIMESTREAM_QUERY_FAILED', `unexpected TIMESTAMP '${value}' in a Timestream answer`)
  const ms = (m[3] ?? '').padEnd(3, '0').slice(0, 3)
  return Date.parse(`${m[1]}T${m[2]}.${ms}Z`)
}

/** Columns of the router's table that are not measures. */
const NOT_MEASURES = new Set(['time', 'device_id', 'measure_name', 'alarms'])

const scalar = (d: Datum | undefined): string | null => (d === undefined || d.NullValue ? null : (d.ScalarValue ?? null))

/**
 * The twin's TurbineSeries over Timestream for LiveAnalytics (`Query`), for the table the router writes: one
 * multi-measure record per sample with `measure_name = 'turbine'`, the `device_id` dimension, a DOUBLE column per
 * measure and `alarms` as comma-separated VARCHAR (null without alarms). Every page is followed through `NextToken`
 * (Timestream may answer a page with no rows and a token while the query still runs).
 */
export function createTimestreamTurbineSeries(options: TimestreamTurbineSeriesOptions): TurbineSeries {
  const { client } = options
  const from = `${quoteIdent(options.database)}.${quoteIdent(options.table)}`
  const range = (a: Date, b: Date) => `time >= from_milliseconds(${a.getTime()}) AND time < from_milliseconds(${b.getTime()})`

  async function query(sql: string): Promise<Array<Record<string, string | null>>> {
    const rows: Array<Record<string, string | null>> = []
    let NextToken: string | undefined
    do {
      let page: QueryCommandOutput
      try {
        page = await client.send(new QueryCommand({ QueryString: sql, ...(NextToken ? { NextToken } : {}) }))
      } catch (err) {
        throw new CloudError('CLOUD_TIMESTREAM_QUERY_FAILED', `Timestream Query on ${from} failed: ${(err as Error).message}`, {
          cause: err,
        })
      }
      const names = (page.ColumnInfo ?? []).map((c) => c.Name ?? '')
      for (const row of page.Rows ?? []) {
        const data = row.Data ?? []
        rows.push(Object.fromEntries(names.map((n, i) => [n, scalar(data[i])])))
      }
      NextToken = page.NextToken
    } while (NextToken)
    return rows
  }

  return {
    async turbines(a, b) {
      const rows = await query(
        `SELECT DISTINCT device_id FROM ${from} WHERE measure_name = 'turbine' AND ${range(a, b)} ORDER BY device_id`,
      )
      return rows.flatMap((r) => (r['device_id'] ? [r['device_id']] : []))
    },
    async samples(deviceId, a, b): Promise<TurbineSample[]> {
      // The id goes into the SQL text (Query has no bind parameters): only thing names, which contain no quotes.
      if (!thingNameRegExp.test(deviceId)) {
        throw new CloudError('CLOUD_TIMESTREAM_QUERY_FAILED', `device id '${deviceId.slice(0, 140)}' is not a thing name`)
      }
      // SELECT *: a measure column exists only once some record carried it, so naming absent ones would fail.
      const rows = await query(
        `SELECT * FROM ${from} WHERE measure_name = 'turbine' AND device_id = '${deviceId}' AND ${range(a, b)} ORDER BY time ASC`,
      )
      return rows.map((r): TurbineSample => {
        const measures: Record<string, number> = {}
        for (const [name, v] of Object.entries(r)) {
          // Every other column is a DOUBLE measure; toTurbineSample picks the ones a sample has.
          if (NOT_MEASURES.has(name) || v === null) continue
          const value = Number(v)
          if (Number.isFinite(value)) measures[name] = value
        }
        const point: TimeSeriesPoint = {
          deviceId,
          measurement: 'turbine',
          timeMs: parseTimestreamTimestamp(r['time'] ?? ''),
          seq: 0,
          dimensions: {},
          measures,
          alarms: r['alarms'] ? r['alarms'].split(',') : [],
        }
        return toTurbineSample(point)
      })
    },
  }
}
