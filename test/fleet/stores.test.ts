import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createDynamoDbMaintenanceStore, createLocalObjectStore, createS3ObjectStore, createSqliteMaintenanceStore } from '@edgetwin/cloud'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { maintenanceStoreContract, objectStoreContract } from './support/contracts.js'
import { DynamoDbWireServer } from './support/dynamodb-wire-server.js'
import { S3WireServer } from './support/s3-wire-server.js'

const dirs: string[] = []
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'edgetwin-fleet-'))
  dirs.push(d)
  return d
}
const dynamo = new DynamoDbWireServer()
const s3 = new S3WireServer()
const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' }
let tableN = 0
let bucketN = 0

beforeAll(async () => {
  await dynamo.start()
  await s3.start()
})
afterAll(async () => {
  await dynamo.close()
  await s3.close()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

maintenanceStoreContract('sqlite', async () => createSqliteMaintenanceStore(join(tempDir(), 'm.sqlite')))
maintenanceStoreContract('dynamodb (wire)', async () =>
  createDynamoDbMaintenanceStore({
    tableName: `VehicleMaintenance${++tableN}`,
    cacheTtlMs: 0,
    client: { endpoint: dynamo.endpoint, region: 'eu-west-2', credentials },
  }),
)
objectStoreContract('local folder', async () => createLocalObjectStore(tempDir()))
objectStoreContract('s3 (wire)', async () =>
  createS3ObjectStore({
    bucket: `bucket${++bucketN}`,
    client: { endpoint: s3.endpoint, region: 'eu-west-2', forcePathStyle: true, credentials },
  }),
)

describe('DynamoDB maintenance store at the wire', () => {
  it('sends GetItem in the JSON 1.0 protocol and serves repeats from the cache until the TTL passes', async () => {
    let nowMs = 1_000
    const tableName = `Cached${++tableN}`
    const store = createDynamoDbMaintenanceStore({
      tableName,
      cacheTtlMs: 30_000,
      now: () => nowMs,
      client: { endpoint: dynamo.endpoint, region: 'eu-west-2', credentials },
    })
    await store.put({ DeviceId: 'vehicle7', MeetsEmissionStandards: false, Mileage: 81_000, PurchaseDate: '2015-06-30' })
    const before = dynamo.requests.length
    const [a, b] = await Promise.all([store.get('vehicle7'), store.get('vehicle7')])
    await store.get('vehicle7')
    const gets = dynamo.requests.slice(before)
    expect(gets).toHaveLength(1)
    expect(gets[0]).toEqual({
      target: 'DynamoDB_20120810.GetItem',
      contentType: 'application/x-amz-json-1.0',
      body: { TableName: tableName, Key: { DeviceId: { S: 'vehicle7' } } },
    })
    expect(a).toEqual({ DeviceId: 'vehicle7', MeetsEmissionStandards: false, Mileage: 81_000, PurchaseDate: '2015-06-30' })
    expect(b).toEqual(a)
    expect(dynamo.tables.get(tableName)?.get('vehicle7')).toEqual({
      DeviceId: { S: 'vehicle7' },
      MeetsEmissionStandards: { BOOL: false },
      Mileage: { N: '81000' },
      PurchaseDate: { S: '2015-06-30' },
    })
    nowMs += 30_001
    await store.get('vehicle7')
    expect(dynamo.requests.length - before).toBe(2)
    await store.close()
  })

  it('retries a throttled GetItem (ProvisionedThroughputExceededException) and fails with a code when retries run out', async () => {
    const tableName = `Throttled${++tableN}`
    const store = createDynamoDbMaintenanceStore({
      tableName,
      cacheTtlMs: 0,
      client: { endpoint: dynamo.endpoint, region: 'eu-west-2', credentials, maxAttempts: 3 },
    })
    dynamo.failNext.push('ProvisionedThroughputExceededException')
    const before = dynamo.requests.length
    expect(await store.get('v1')).toBeNull()
    expect(dynamo.requests.length - before).toBe(2)
    dynamo.failNext.push('ResourceNotFoundException')
    await expect(store.get('v1')).rejects.toMatchObject({ code: 'CLOUD_MAINTENANCE_UNAVAILABLE' })
    await store.close()
  })

  it('rejects an item of the wrong shape instead of enriching with it', async () => {
    const tableName = `Bad${++tableN}`
    dynamo.tables.set(
      tableName,
      new Map([
        ['v', { DeviceId: { S: 'v' }, MeetsEmissionStandards: { S: 'no' }, Mileage: { N: '1' }, PurchaseDate: { S: '2020-01-01' } }],
      ]),
    )
    const store = createDynamoDbMaintenanceStore({
      tableName,
      cacheTtlMs: 0,
      client: { endpoint: dynamo.endpoint, region: 'eu-west-2', credentials },
    })
    await expect(store.get('v')).rejects.toMatchObject({ code: 'CLOUD_MAINTENANCE_INVALID' })
    await store.close()
  })
})

describe('S3 object store at the wire', () => {
  it('puts with the JSON content type at the path-style key and follows ListObjectsV2 continuation tokens', async () => {
    const store = createS3ObjectStore({
      bucket: 'wire',
      client: { endpoint: s3.endpoint, region: 'eu-west-2', forcePathStyle: true, credentials },
    })
    const before = s3.requests.length
    for (const i of [1, 2, 3, 4, 5]) await store.put(`enriched/v1/2026-07-01T08:00:0${i}Z-u.json`, `{"i":${i}}`)
    const keys: string[] = []
    for await (const k of store.list('enriched/')) keys.push(k)
    expect(keys).toHaveLength(5)
    const wire = s3.requests.slice(before)
    expect(wire[0]).toMatchObject({ method: 'PUT', path: '/wire/enriched/v1/2026-07-01T08:00:01Z-u.json' })
    expect(wire[0]!.headers['content-type']).toBe('application/json')
    const lists = wire.filter((r) => r.method === 'GET')
    expect(lists.map((r) => r.query.get('list-type'))).toEqual(['2', '2', '2'])
    expect(lists[0]!.query.get('continuation-token')).toBeNull()
    expect(lists[1]!.query.get('continuation-token')).not.toBeNull()
    await store.close()
  })

  it('surfaces an S3 error other than NoSuchKey with a code', async () => {
    const store = createS3ObjectStore({
      bucket: 'wire',
      client: { endpoint: s3.endpoint, region: 'eu-west-2', forcePathStyle: true, credentials, maxAttempts: 1 },
    })
    s3.failNext.push({ status: 403, code: 'AccessDenied' })
    await expect(store.get('enriched/x')).rejects.toMatchObject({ code: 'CLOUD_OBJECT_STORE_FAILED' })
    await store.close()
  })
})
