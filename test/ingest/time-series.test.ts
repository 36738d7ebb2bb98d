import { once } from 'node:events'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  createInfluxTimeSeriesStore,
  createSqliteTimeSeriesStore,
  createTimestreamWriter,
  openCloudDatabase,
  type TimeSeriesPoint,
  toLineProtocol,
} from '@edgetwin/cloud'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { timeSeriesReaderContract } from '../../cloud/src/sinks/time-series/time-series-reader.contract.js'
import { samplePoint, timeSeriesWriterContract } from '../../cloud/src/sinks/time-series/time-series-writer.contract.js'
import { noSleep } from '../support/aws-wire.js'
import { silentLogger } from './support/fixtures.js'
import { type InfluxHandle, startInfluxd } from './support/influxdb.js'
import { type StoredRecord, startTimestreamWire } from './support/timestream-wire.js'

const sqliteHarness = async () => {
  const db = openCloudDatabase(':memory:')
  const store = createSqliteTimeSeriesStore(db)
  return { store, db }
}

timeSeriesWriterContract('SQLite', async () => {
  const { store, db } = await sqliteHarness()
  return {
    writer: store,
    readBack: async (deviceId) => [
      ...(await store.range({ deviceId, measurement: 'turbine', fromMs: 0, toMs: Number.MAX_SAFE_INTEGER })),
      ...(await store.range({ deviceId, measurement: 'aggregate', fromMs: 0, toMs: Number.MAX_SAFE_INTEGER })),
    ],
    cleanup: async () => db.close(),
  }
})
timeSeriesReaderContract('SQLite', async () => {
  const { store, db } = await sqliteHarness()
  return { store, cleanup: async () => db.close() }
})

/** Turns what Timestream received back into points, to check the writer contract at the wire. */
function fromTimestream(r: StoredRecord): TimeSeriesPoint {
  const measures: Record<string, number> = {}
  let alarms: string[] = []
  for (const v of r.MeasureValues) {
    if (v.Type === 'DOUBLE') measures[v.Name] = Number(v.Value)
    else if (v.Name === 'alarms') alarms = v.Value.split(',')
  }
  const dimensions = Object.fromEntries((r.Dimensions ?? []).filter((d) => d.Name !== 'device_id').map((d) => [d.Name, d.Value]))
  return {
    deviceId: r.deviceId,
    measurement: r.MeasureName as 'turbine',
    timeMs: Number(r.Time),
    seq: r.Version ?? 0,
    dimensions,
    measures,
    alarms,
  }
}

timeSeriesWriterContract('Timestream WriteRecords at the wire', async () => {
  const wire = await startTimestreamWire('edgetwin', 'telemetry')
  return {
    writer: createTimestreamWriter({ client: wire.client, database: 'edgetwin', table: 'telemetry', logger: silentLogger }),
    readBack: async (deviceId) => wire.stored.filter((s) => s.deviceId === deviceId).map(fromTimestream),
    cleanup: () => wire.close(),
  }
})

describe('Timestream adapter at the wire', () => {
  it('sends at most 100 multi-measure records per call with the device as a common dimension', async () => {
    const wire = await startTimestreamWire('db', 't')
    try {
      const writer = createTimestreamWriter({ client: wire.client, database: 'db', table: 't', logger: silentLogger })
      await writer.write(Array.from({ length: 250 }, (_, i) => samplePoint('wt-1', i)))
      expect(wire.callSizes).toEqual([100, 100, 50])
      const body = wire.server.requests[0]!.json()
      expect(body.CommonAttributes).toEqual({
        Dimensions: [{ Name: 'device_id', Value: 'wt-1', DimensionValueType: 'VARCHAR' }],
        MeasureValueType: 'MULTI',
        TimeUnit: 'MILLISECONDS',
      })
      expect(body.Records[0]).toEqual({
        MeasureName: 'turbine',
        Time: String(Date.UTC(2025, 2, 1, 10)),
        Version: 1,
        MeasureValues: [
          { Name: 'windSpeedMps', Value: '8', Type: 'DOUBLE' },
          { Name: 'rotorSpeedRpm', Value: '11.5', Type: 'DOUBLE' },
          { Name: 'generatorPowerKw', Value: '3000', Type: 'DOUBLE' },
          { Name: 'alarms', Value: 'overspeed', Type: 'VARCHAR' },
        ],
      })
    } finally {
      await wire.close()
    }
  })

  it('handles RejectedRecordsException record by record: the rest of the call is kept and nothing is resent', async () => {
    const wire = await startTimestreamWire('db', 't', {
      reject: (r) => (Number(r.Time) % 3000 === 0 ? 'Record timestamp is outside the memory store retention.' : undefined),
    })
    try {
      const writer = createTimestreamWriter({ client: wire.client, database: 'db', table: 't', logger: silentLogger })
      const points = Array.from({ length: 9 }, (_, i) => samplePoint('wt-1', i))
      const result = await writer.write(points)
      expect(wire.callSizes).toEqual([9])
      expect(result.rejected.map((r) => r.index)).toEqual([0, 3, 6])
      expect(result.rejected[0]!.message).toMatch(/retention/)
      expect(wire.stored.map((s) => s.Version)).toEqual([2, 3, 5, 6, 8, 9])
    } finally {
      await wire.close()
    }
  })

  it('a retried write of the same records is idempotent (same version, same values)', async () => {
    const wire = await startTimestreamWire('db', 't')
    try {
      const writer = createTimestreamWriter({ client: wire.client, database: 'db', table: 't', logger: silentLogger })
      const points = Array.from({ length: 5 }, (_, i) => samplePoint('wt-1', i))
      await writer.write(points)
      expect((await writer.write(points)).rejected).toEqual([])
      expect(wire.stored).toHaveLength(5)
    } finally {
      await wire.close()
    }
  })

  it('backs off on ThrottlingException and resends the call', async () => {
    const wire = await startTimestreamWire('db', 't', { throttleFirstCalls: 2 })
    const sleeps: number[] = []
    try {
      const writer = createTimestreamWriter({
        client: wire.client,
        database: 'db',
        table: 't',
        logger: silentLogger,
        backoff: { sleep: async (ms) => void sleeps.push(ms), random: () => 0.999 },
      })
      await writer.write([samplePoint('wt-1', 0)])
      expect(wire.callSizes).toEqual([1, 1, 1])
      expect(sleeps).toEqual([49, 99])
      expect(wire.stored).toHaveLength(1)
    } finally {
      await wire.close()
    }
  })
})

describe('InfluxDB against a real influxd', () => {
  let influx: InfluxHandle
  let n = 0
  beforeAll(async () => {
    influx = await startInfluxd()
  })
  afterAll(async () => influx?.stop())

  const freshStore = async () => {
    const database = `edgetwin_${++n}`
    await influx.query(`CREATE DATABASE ${database}`)
    return createInfluxTimeSeriesStore({ url: influx.url, apiVersion: 1, database, logger: silentLogger, backoff: { sleep: noSleep } })
  }

  timeSeriesWriterContract('InfluxDB v1 /write', async () => {
    const store = await freshStore()
    return {
      writer: store,
      readBack: async (deviceId) => [
        ...(await store.range({ deviceId, measurement: 'turbine', fromMs: 0, toMs: Date.UTC(2100, 0) })),
        ...(await store.range({ deviceId, measurement: 'aggregate', fromMs: 0, toMs: Date.UTC(2100, 0) })),
      ],
      cleanup: async () => {},
    }
  })
  timeSeriesReaderContract('InfluxDB v1 (InfluxQL)', async () => ({ store: await freshStore(), cleanup: async () => {} }))

  it('reports the server version it ran against', () => {
    expect(influx.version).toMatch(/^1\./)
  })
})

describe('InfluxDB v2 write API (/api/v2/write with a token)', () => {
  // The installed InfluxDB is 1.6, which predates the v2 compatibility endpoint (added in 1.8), so the v2 request is
  // checked against a server that answers as the InfluxDB v2 API reference describes: 204 on success, 401 without
  // a valid token, 429 with Retry-After when rate limited.
  it('sends line protocol with org, bucket, precision=ms and the token header, retrying 429', async () => {
    const seen: Array<{ url: string; auth: string | undefined; body: string }> = []
    let calls = 0
    const server = createServer(async (req: IncomingMessage, res) => {
      let body = ''
      for await (const c of req) body += c
      seen.push({ url: req.url ?? '', auth: req.headers.authorization, body })
      calls++
      if (req.headers.authorization !== 'Token s3cr3t') {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"code":"unauthorized","message":"unauthorized access"}')
      } else if (calls === 1) {
        res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' }).end('{"code":"too many requests"}')
      } else res.writeHead(204).end()
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const sleeps: number[] = []
    try {
      const store = createInfluxTimeSeriesStore({
        url,
        apiVersion: 2,
        database: 'telemetry',
        org: 'edgetwin',
        bucket: 'telemetry',
        token: 's3cr3t',
        logger: silentLogger,
        backoff: { sleep: async (ms) => void sleeps.push(ms) },
      })
      const p = samplePoint('wt-1', 0)
      await store.write([p])
      expect(seen).toHaveLength(2)
      expect(seen[1]).toEqual({
        url: '/api/v2/write?org=edgetwin&bucket=telemetry&precision=ms',
        auth: 'Token s3cr3t',
        body: toLineProtocol(p),
      })
      expect(sleeps).toEqual([1000])
      const bad = createInfluxTimeSeriesStore({
        url,
        apiVersion: 2,
        database: 'x',
        org: 'o',
        bucket: 'b',
        token: 'wrong',
        logger: silentLogger,
      })
      await expect(bad.write([p])).rejects.toMatchObject({ code: 'CLOUD_INFLUX_WRITE_FAILED' })
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })

  it('escapes line protocol as the reference says', () => {
    const line = toLineProtocol({
      deviceId: 'gw:1',
      measurement: 'aggregate',
      timeMs: 5,
      seq: 3,
      dimensions: { sourceId: 'plant db,1', metric: 'a=b' },
      measures: { mean: 1.5, count: 2 },
      alarms: ['high temp'],
    })
    expect(line).toBe('aggregate,device_id=gw:1,metric=a\\=b,sourceId=plant\\ db\\,1 mean=1.5,count=2,seq=3i,alarm_high\\ temp=1i 5')
  })
})
