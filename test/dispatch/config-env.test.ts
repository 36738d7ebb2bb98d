import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { buildApp, type DispatchApp, loadDispatchConfig, RESULTS_PREFIX } from '@edgetwin/openfast-container'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { S3WireServer } from '../fleet/support/s3-wire-server.js'
import { AUTH, silentLog, TOKEN, tempDir, waitForFinish } from './support.js'

let dir: string
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ dir, cleanup } = await tempDir())
})
afterEach(() => cleanup())

async function configFile(doc: Record<string, unknown>): Promise<string> {
  const file = join(dir, 'dispatch.json')
  await writeFile(file, JSON.stringify({ dataDir: join(dir, 'data'), logLevel: 'silent', ...doc }))
  return file
}

describe('dispatch config from the deployment environment', () => {
  it('puts results in EDGETWIN_RESULTS_BUCKET under results/, in the region AWS_REGION names', async () => {
    const file = await configFile({ objectStore: { endpoint: 'http://127.0.0.1:9', forcePathStyle: true } })
    const { config } = await loadDispatchConfig({
      file,
      env: { EDGETWIN_RESULTS_BUCKET: 'edgetwin-results-1a2b', AWS_REGION: 'eu-west-2', AWS_DEFAULT_REGION: 'us-east-1' },
    })
    // The file's endpoint settings stay; the environment names the adapter, bucket, prefix and region.
    expect(config.objectStore).toEqual({
      adapter: 's3',
      bucket: 'edgetwin-results-1a2b',
      prefix: 'results',
      region: 'eu-west-2',
      localDir: 'object-store',
      endpoint: 'http://127.0.0.1:9',
      forcePathStyle: true,
    })
  })

  it('keeps the local object store without EDGETWIN_RESULTS_BUCKET, and the CLI flags win over PORT', async () => {
    const file = await configFile({ port: 8080 })
    const local = await loadDispatchConfig({ file, env: { AWS_REGION: 'eu-west-2', PORT: '9090' } })
    expect(local.config.objectStore).toMatchObject({ adapter: 'local', prefix: 'simulations' })
    expect(local.config.port).toBe(9090)
    expect((await loadDispatchConfig({ file, env: { PORT: '9090' }, overrides: { port: 0 } })).config.port).toBe(0)
  })

  it('refuses a bucket name S3 would refuse and a PORT that is not a number, naming them', async () => {
    await expect(loadDispatchConfig({ env: { EDGETWIN_RESULTS_BUCKET: 'Not_A_Bucket' } })).rejects.toMatchObject({
      code: 'DISPATCH_CONFIG_INVALID',
      message: expect.stringContaining('/objectStore/bucket'),
    })
    await expect(loadDispatchConfig({ env: { PORT: '80a' } })).rejects.toMatchObject({
      code: 'DISPATCH_CONFIG_INVALID',
      message: "PORT must be a port number; received '80a'",
    })
  })
})

describe('POST /upload_to_s3 with the deployment environment', () => {
  const s3 = new S3WireServer()
  let app: DispatchApp | undefined
  beforeAll(async () => {
    await s3.start()
    // Credentials from the SDK's default chain (on Fargate, the task role); AWS_REGION here is not what the config says.
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEDGETWINTEST')
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'edgetwin-test-secret')
    vi.stubEnv('AWS_REGION', 'us-east-1')
  })
  afterAll(async () => {
    vi.unstubAllEnvs()
    await s3.close()
  })
  afterEach(async () => app?.close())

  it("writes results/<id>/simulation.out, the key the stack's S3 notification (prefix results/, suffix .out) fires on", async () => {
    const file = await configFile({
      limits: { maxConcurrentRuns: 1 },
      objectStore: { endpoint: s3.endpoint, forcePathStyle: true },
    })
    const loaded = await loadDispatchConfig({
      file,
      env: { EDGETWIN_RESULTS_BUCKET: 'edgetwin-results-1a2b', AWS_REGION: 'eu-west-2', EDGETWIN_DISPATCH_TOKEN: TOKEN },
    })
    expect(loaded.bearerTokens).toEqual([TOKEN])
    app = await buildApp(loaded.config, { bearerTokens: loaded.bearerTokens, log: silentLog })
    const started = await app.inject({
      method: 'PUT',
      url: '/execute',
      headers: AUTH,
      payload: { engine: 'rotor-model', windSpeedMps: 12, turbulenceIntensity: 0.1, seed: 3, durationS: 10 },
    })
    expect(started.statusCode).toBe(202)
    const { id } = started.json()
    expect(await waitForFinish(app, id, 60_000)).toMatchObject({ state: 'SUCCEEDED' })

    const uploaded = await app.inject({ method: 'POST', url: '/upload_to_s3', headers: AUTH, payload: { id } })
    expect(uploaded.statusCode).toBe(200)
    const { location, keys } = uploaded.json() as { location: string; keys: string[] }
    expect(location).toBe('s3://edgetwin-results-1a2b')
    expect(keys).toContain(`${RESULTS_PREFIX}/${id}/simulation.out`)
    // infra/src/constructs/twin.ts: OBJECT_CREATED notification to the post-processor with prefix 'results/', suffix '.out'.
    expect(keys.filter((k) => k.startsWith('results/') && k.endsWith('.out'))).toEqual([`results/${id}/simulation.out`])
    const out = s3.objects.get(`edgetwin-results-1a2b/results/${id}/simulation.out`)
    expect(out?.contentType).toBe('text/plain; charset=utf-8')
    expect(out?.body.toString('utf8')).toContain('GenSpeed')
    // Signed for the region the environment gave the config, not the process's own AWS_REGION.
    const put = s3.requests.find((r) => r.method === 'PUT' && r.path.endsWith('.out'))
    expect(String(put?.headers.authorization)).toContain('/eu-west-2/s3/aws4_request')
  }, 60_000)
})
