import { buildEnrichmentLambda, createDynamoDbMaintenanceStore } from '@edgetwin/cloud'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { handler } from '../../cloud/src/lambda/enrichment.js'
import { DynamoDbWireServer } from '../fleet/support/dynamodb-wire-server.js'
import { S3WireServer } from '../fleet/support/s3-wire-server.js'

/**
 * What the rule's input transformer hands the function for an Amazon Location "Location Device Position Event"
 * (Amazon Location developer guide, "React to Amazon Location Service events with Amazon EventBridge").
 */
const transformed = (deviceId: string, sampleTime: string) => ({
  EventType: 'UPDATE',
  TrackerName: 'edgetwin-tracker',
  DeviceId: deviceId,
  SampleTime: sampleTime,
  ReceivedTime: sampleTime.replace(/\.\d+Z$/, '.512Z'),
  Position: [-0.1276, 51.5072],
})

describe('enrichment Lambda (handler) on DynamoDB and S3 at the wire', () => {
  const dynamo = new DynamoDbWireServer()
  const s3 = new S3WireServer()
  beforeAll(async () => {
    await dynamo.start()
    await s3.start()
    vi.stubEnv('AWS_REGION', 'eu-west-2')
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDTEST')
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret')
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', dynamo.endpoint)
    vi.stubEnv('AWS_ENDPOINT_URL_S3', s3.endpoint)
    vi.stubEnv('MAINTENANCE_TABLE_NAME', 'VehicleMaintenance')
    vi.stubEnv('OBJECTS_BUCKET', 'edgetwin-lake')
    vi.stubEnv('LOG_LEVEL', 'silent')
    const seed = createDynamoDbMaintenanceStore({
      tableName: 'VehicleMaintenance',
      cacheTtlMs: 0,
      client: { endpoint: dynamo.endpoint, region: 'eu-west-2', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } },
    })
    await seed.put({ DeviceId: 'vehicle3', MeetsEmissionStandards: false, Mileage: 98_231.5, PurchaseDate: '2014-05-12' })
    await seed.close()
  })
  afterAll(async () => {
    vi.unstubAllEnvs()
    await Promise.all([dynamo.close(), s3.close()])
  })

  it('joins the maintenance record and writes one object per event at <prefix>/<DeviceId>/<SampleTime>-<uuid>.json', async () => {
    const before = dynamo.requests.length
    const { key } = await handler(transformed('vehicle3', '2026-10-01T08:15:02.000Z'))
    expect(key).toMatch(/^enriched\/vehicle3\/2026-10-01T08:15:02\.000Z-[0-9a-f-]{36}\.json$/)
    const gets = dynamo.requests.slice(before)
    expect(gets.map((r) => r.target)).toEqual(['DynamoDB_20120810.GetItem'])
    expect(gets[0]!.body).toMatchObject({ TableName: 'VehicleMaintenance', Key: { DeviceId: { S: 'vehicle3' } } })
    const put = s3.requests.at(-1)!
    expect(put.method).toBe('PUT')
    expect(put.path).toBe(`/edgetwin-lake/${key}`)
    expect(put.headers['content-type']).toBe('application/json')
    expect(JSON.parse(s3.objects.get(`edgetwin-lake/${key}`)!.body.toString())).toEqual({
      ...transformed('vehicle3', '2026-10-01T08:15:02.000Z'),
      MeetsEmissionStandards: false,
      Mileage: 98_231.5,
      PurchaseDate: '2014-05-12',
    })
    // A second event of the same vehicle in the same execution environment is served from the short cache.
    await handler(transformed('vehicle3', '2026-10-01T08:15:32.000Z'))
    expect(dynamo.requests.length - before).toBe(1)
  })

  it('writes nulls for a vehicle without a maintenance record', async () => {
    const { key } = await handler(transformed('vehicle9', '2026-10-01T09:00:00.000Z'))
    expect(JSON.parse(s3.objects.get(`edgetwin-lake/${key}`)!.body.toString())).toMatchObject({
      DeviceId: 'vehicle9',
      MeetsEmissionStandards: null,
      Mileage: null,
      PurchaseDate: null,
    })
  })

  it('throws a coded error for an event that is not the transformed shape, and writes nothing (EventBridge retries, then the DLQ)', async () => {
    const puts = s3.requests.filter((r) => r.method === 'PUT').length
    await expect(handler({ detail: { DeviceId: 'vehicle3' } })).rejects.toMatchObject({ code: 'SCHEMA_INVALID' })
    await expect(handler({ ...transformed('vehicle3', '2026-10-01T09:00:00.000Z'), Position: [200, 51] })).rejects.toMatchObject({
      code: 'SCHEMA_INVALID',
    })
    expect(s3.requests.filter((r) => r.method === 'PUT').length).toBe(puts)
  })

  it('throws a coded error when S3 refuses the write (AccessDenied), so the event is retried', async () => {
    s3.failNext.push({ status: 403, code: 'AccessDenied' })
    await expect(handler(transformed('vehicle3', '2026-10-01T09:10:00.000Z'))).rejects.toMatchObject({ code: 'CLOUD_OBJECT_STORE_FAILED' })
  })

  it('refuses to start on an incomplete environment, naming the missing variable', () => {
    expect(() => buildEnrichmentLambda({ OBJECTS_BUCKET: 'b' })).toThrow(/MAINTENANCE_TABLE_NAME/)
  })
})
