import { TimestreamQueryClient } from '@aws-sdk/client-timestream-query'
import { createTimestreamTurbineSeries, createTimestreamWriter, parseTimestreamTimestamp, type TimeSeriesPoint } from '@edgetwin/cloud'
import type { TurbineSample } from '@edgetwin/shared-schemas'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { silentLogger, turbineSample } from '../ingest/support/fixtures.js'
import { startTimestreamWire, type TimestreamWire } from '../ingest/support/timestream-wire.js'
import { testCredentials } from '../support/aws-wire.js'
import { startTimestreamQueryWire, type TimestreamQueryWire } from './support/timestream-query-wire.js'

/** The router's mapping of a turbine sample (router/to-sink.ts): numeric fields as measures, alarms apart. */
function point(deviceId: string, seq: number, s: TurbineSample): TimeSeriesPoint {
  const { time, alarms, ...rest } = s
  const measures = Object.fromEntries(Object.entries(rest).filter(([, v]) => typeof v === 'number')) as Record<string, number>
  return { deviceId, measurement: 'turbine', timeMs: Date.parse(time), seq, dimensions: {}, measures, alarms }
}

describe('Timestream LiveAnalytics turbine series (Query) at the wire', () => {
  let write: TimestreamWire
  let read: TimestreamQueryWire
  let client: TimestreamQueryClient
  beforeEach(async () => {
    write = await startTimestreamWire('edgetwin', 'telemetry')
    read = await startTimestreamQueryWire('edgetwin', 'telemetry', write.stored, 40)
    client = new TimestreamQueryClient({ endpoint: read.server.url, region: 'eu-west-1', credentials: testCredentials, maxAttempts: 1 })
  })
  afterEach(async () => {
    client.destroy()
    await Promise.all([write.close(), read.close()])
  })

  it('reads back, page by page, exactly the samples the router wrote, in time order and inside [from, to)', async () => {
    const writer = createTimestreamWriter({ client: write.client, database: 'edgetwin', table: 'telemetry', logger: silentLogger })
    const a = Array.from({ length: 120 }, (_, i) => turbineSample(i, i === 3 ? { rotorThrustKn: 712.5, controllerVersion: 2 } : {}))
    const b = Array.from({ length: 30 }, (_, i) => turbineSample(i * 2))
    await writer.write([...a.map((s, i) => point('wt-1', i + 1, s)), ...b.map((s, i) => point('wt-2', i + 1, s))].reverse())
    const series = createTimestreamTurbineSeries({ client, database: 'edgetwin', table: 'telemetry' })
    const from = new Date(a[0]!.time)
    const to = new Date(a[100]!.time)
    expect(await series.turbines(from, to)).toEqual(['wt-1', 'wt-2'])
    expect(await series.turbines(new Date(a[60]!.time), to)).toEqual(['wt-1'])
    const samples = await series.samples('wt-1', from, to)
    // 100 rows at 40 a page, after the empty first page: the reader followed every NextToken.
    expect(samples).toEqual(a.slice(0, 100))
    expect(samples[0]!.alarms).toEqual(['overspeed'])
    expect(samples[3]).toMatchObject({ rotorThrustKn: 712.5, controllerVersion: 2 })
    const queries = read.server.requests.filter((r) => r.target === 'Timestream_20181101.Query').map((r) => r.json())
    const last = queries.filter((q) => q.QueryString.includes("device_id = 'wt-1'"))
    const tokens = last.map((q) => q.NextToken ?? null)
    expect(tokens[0]).toBeNull()
    expect(new Set(tokens.slice(1)).size).toBe(3)
    expect(tokens.slice(1).every((t) => typeof t === 'string')).toBe(true)
    expect(last.every((q) => q.QueryString === last[0].QueryString)).toBe(true)
    expect(last[0].QueryString).toBe(
      `SELECT * FROM "edgetwin"."telemetry" WHERE measure_name = 'turbine' AND device_id = 'wt-1' AND time >= from_milliseconds(${from.getTime()}) AND time < from_milliseconds(${to.getTime()}) ORDER BY time ASC`,
    )
  })

  it('refuses a device id that is not a thing name before sending anything', async () => {
    const series = createTimestreamTurbineSeries({ client, database: 'edgetwin', table: 'telemetry' })
    await expect(series.samples("x' OR '1'='1", new Date(0), new Date(1))).rejects.toMatchObject({ code: 'CLOUD_TIMESTREAM_QUERY_FAILED' })
    expect(read.queries).toEqual([])
  })

  it('turns a service error into a coded error naming the table', async () => {
    const series = createTimestreamTurbineSeries({ client, database: 'other', table: 'telemetry' })
    await expect(series.turbines(new Date(0), new Date(1))).rejects.toMatchObject({
      code: 'CLOUD_TIMESTREAM_QUERY_FAILED',
      message: expect.stringContaining('"other"."telemetry"'),
    })
  })

  it('parses TIMESTAMP values with nanoseconds as UTC milliseconds', () => {
    expect(parseTimestreamTimestamp('2026-10-01 12:00:00.123456789')).toBe(Date.parse('2026-10-01T12:00:00.123Z'))
    expect(parseTimestreamTimestamp('2026-10-01 12:00:00')).toBe(Date.parse('2026-10-01T12:00:00.000Z'))
    expect(() => parseTimestreamTimestamp('yesterday')).toThrow(/TIMESTAMP/)
  })
})
