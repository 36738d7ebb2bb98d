import type { StoredRecord } from '../../ingest/support/timestream-wire.js'
import { awsJsonError, startWireServer, type WireServer } from '../../support/aws-wire.js'

export interface TimestreamQueryWire {
  readonly server: WireServer
  /** Every QueryString received, in order. */
  readonly queries: string[]
  close(): Promise<void>
}

type Datum = { ScalarValue: string } | { NullValue: true }

/** Epoch ms → Timestream's TIMESTAMP text, `yyyy-MM-dd HH:mm:ss.SSSSSSSSS` (UTC). */
const timestamp = (ms: number) => `${new Date(ms).toISOString().slice(0, 23).replace('T', ' ')}000000`

/**
 * Answers as Timestream Query's JSON 1.0 API (target prefix `Timestream_20181101`): DescribeEndpoints for endpoint
 * discovery, and Query over the records a Timestream Write wire server stored, for the two statements the twin's
 * reader sends (DISTINCT device_id; SELECT * of one device, time-ordered). Results come `pageSize` rows a page,
 * after a first page with no rows and a NextToken (what Timestream does while a query still runs), with
 * ColumnInfo and Rows/Data/ScalarValue|NullValue. Anything else is a ValidationException.
 */
export async function startTimestreamQueryWire(
  database: string,
  table: string,
  stored: readonly StoredRecord[],
  pageSize = 250,
): Promise<TimestreamQueryWire> {
  const queries: string[] = []
  const pending = new Map<string, { columns: Array<{ Name: string; Type: { ScalarType: string } }>; rows: Datum[][]; offset: number }>()
  let tokens = 0
  const server = await startWireServer((req) => {
    if (req.target === 'Timestream_20181101.DescribeEndpoints') {
      return { body: { Endpoints: [{ Address: req.headers.host, CachePeriodInMinutes: 1440 }] } }
    }
    if (req.target !== 'Timestream_20181101.Query') return awsJsonError('ValidationException', `unexpected target ${req.target}`)
    if (!String(req.headers.authorization).startsWith('AWS4-HMAC-SHA256 ')) return awsJsonError('AccessDeniedException', 'unsigned', 403)
    const body = req.json() as { QueryString: string; NextToken?: string }
    if (body.NextToken) {
      const p = pending.get(body.NextToken)
      if (!p) return awsJsonError('ValidationException', 'invalid NextToken')
      pending.delete(body.NextToken)
      const Rows = p.rows.slice(p.offset, p.offset + pageSize).map((Data) => ({ Data }))
      const rest = p.offset + pageSize < p.rows.length
      const NextToken = rest ? `t${++tokens}` : undefined
      if (NextToken) pending.set(NextToken, { ...p, offset: p.offset + pageSize })
      return {
        body: { QueryId: 'q1', Rows, ColumnInfo: p.columns, ...(NextToken ? { NextToken } : {}), QueryStatus: { ProgressPercentage: 100 } },
      }
    }
    queries.push(body.QueryString)
    const sql = body.QueryString
    const src = `"${database}"."${table}"`
    const range = /time >= from_milliseconds\((\d+)\) AND time < from_milliseconds\((\d+)\)/.exec(sql)
    if (!sql.includes(`FROM ${src} `) || !range) return awsJsonError('ValidationException', `cannot answer: ${sql}`)
    const [fromMs, toMs] = [Number(range[1]), Number(range[2])]
    const inRange = stored.filter((r) => r.MeasureName === 'turbine' && Number(r.Time) >= fromMs && Number(r.Time) < toMs)
    let columns: Array<{ Name: string; Type: { ScalarType: string } }>
    let rows: Datum[][]
    if (/^SELECT DISTINCT device_id FROM .* WHERE measure_name = 'turbine' AND .* ORDER BY device_id$/.test(sql)) {
      columns = [{ Name: 'device_id', Type: { ScalarType: 'VARCHAR' } }]
      rows = [...new Set(inRange.map((r) => r.deviceId))].sort().map((d) => [{ ScalarValue: d }])
    } else {
      const device = /^SELECT \* FROM .* WHERE measure_name = 'turbine' AND device_id = '([^']+)' AND .* ORDER BY time ASC$/.exec(sql)
      if (!device) return awsJsonError('ValidationException', `cannot answer: ${sql}`)
      // The table's columns: the dimension, measure_name, time, then every measure any record ever carried.
      const measures = new Map<string, string>()
      for (const r of stored) for (const v of r.MeasureValues) measures.set(v.Name, v.Type)
      columns = [
        { Name: 'device_id', Type: { ScalarType: 'VARCHAR' } },
        { Name: 'measure_name', Type: { ScalarType: 'VARCHAR' } },
        { Name: 'time', Type: { ScalarType: 'TIMESTAMP' } },
        ...[...measures].map(([Name, Type]) => ({ Name, Type: { ScalarType: Type } })),
      ]
      rows = inRange
        .filter((r) => r.deviceId === device[1])
        .sort((a, b) => Number(a.Time) - Number(b.Time))
        .map((r) => [
          { ScalarValue: r.deviceId },
          { ScalarValue: 'turbine' },
          { ScalarValue: timestamp(Number(r.Time)) },
          ...[...measures.keys()].map((name): Datum => {
            const v = r.MeasureValues.find((m) => m.Name === name)
            return v ? { ScalarValue: v.Value } : { NullValue: true }
          }),
        ])
    }
    const NextToken = `t${++tokens}`
    pending.set(NextToken, { columns, rows, offset: 0 })
    return { body: { QueryId: 'q1', Rows: [], ColumnInfo: columns, NextToken, QueryStatus: { ProgressPercentage: 0 } } }
  })
  return { server, queries, close: () => server.close() }
}
