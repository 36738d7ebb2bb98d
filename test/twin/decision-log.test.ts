import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLocalObjectStore, createObjectDecisionLog, createS3ObjectStore, ProvenanceStore } from '@edgetwin/cloud'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { S3WireServer } from '../fleet/support/s3-wire-server.js'
import { decision, decisionLogContract } from './support/decision-log-contract.js'

const dirs: string[] = []
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'edgetwin-decisions-'))
  dirs.push(d)
  return d
}
const s3 = new S3WireServer()
const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' }
let bucketN = 0
const s3Store = (bucket: string) =>
  createS3ObjectStore({ bucket, client: { endpoint: s3.endpoint, region: 'eu-west-1', forcePathStyle: true, credentials } })

beforeAll(() => s3.start())
afterAll(async () => {
  await s3.close()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

decisionLogContract('sqlite (ProvenanceStore)', async () => {
  const log = new ProvenanceStore(join(tempDir(), 'twin.db'))
  return { log, close: () => log.close() }
})
decisionLogContract('objects in a local folder', async () => {
  const store = createLocalObjectStore(tempDir())
  return { log: createObjectDecisionLog(store), close: () => store.close() }
})
decisionLogContract('objects in S3 (wire)', async () => {
  const store = s3Store(`decisions${++bucketN}`)
  return { log: createObjectDecisionLog(store, 'twin/decisions'), close: () => store.close() }
})

describe('S3 decision log at the wire', () => {
  it('writes one JSON object per decision under the device, and reads a device back through paginated ListObjectsV2', async () => {
    const bucket = `wire${++bucketN}`
    const store = s3Store(bucket)
    const log = createObjectDecisionLog(store, 'twin-decisions')
    for (let i = 0; i < 5; i++) await log.append(decision('turbine-7', i, i + 1))
    await log.append(decision('turbine-70', 9, 6))
    const puts = s3.requests.filter((r) => r.method === 'PUT' && r.path.startsWith(`/${bucket}/`))
    expect(puts.map((r) => r.path)).toContain(
      `/${bucket}/twin-decisions/turbine-7/2026-10-01T12:04:00.000Z-00000000-0000-4000-8000-000000000005.json`,
    )
    expect(puts.every((r) => r.headers['content-type'] === 'application/json')).toBe(true)
    expect(
      JSON.parse(
        s3.objects
          .get(`${bucket}/twin-decisions/turbine-70/2026-10-01T12:09:00.000Z-00000000-0000-4000-8000-000000000006.json`)!
          .body.toString(),
      ),
    ).toEqual(decision('turbine-70', 9, 6))

    const before = s3.requests.length
    const listed = await log.list({ deviceId: 'turbine-7', limit: 4 })
    expect(listed.map((r) => r.createdAt.slice(14, 16))).toEqual(['04', '03', '02', '01'])
    const seen = s3.requests.slice(before)
    const lists = seen.filter((r) => r.query.get('list-type') === '2')
    // Five keys at two per page: three ListObjectsV2 calls, all under the device's own prefix (not turbine-70's).
    expect(lists.map((r) => r.query.get('prefix'))).toEqual(Array(3).fill('twin-decisions/turbine-7/'))
    expect(lists.map((r) => r.query.get('continuation-token') !== null)).toEqual([false, true, true])
    expect(seen.filter((r) => r.method === 'GET' && r.query.get('list-type') === null)).toHaveLength(4)
    await store.close()
  })

  it('refuses a corrupt object with a coded error instead of skipping it', async () => {
    const bucket = `corrupt${++bucketN}`
    const store = s3Store(bucket)
    await store.put('twin-decisions/turbine-1/2026-10-01T12:00:00.000Z-x.json', 'not json')
    await expect(createObjectDecisionLog(store).list({ deviceId: 'turbine-1' })).rejects.toMatchObject({
      code: 'CLOUD_DECISION_LOG_CORRUPT',
    })
    await store.close()
  })
})
