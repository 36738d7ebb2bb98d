import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  buildTwinDetector,
  createLocalJobSigner,
  createTimestreamWriter,
  type EmbeddedBroker,
  LocalJobsService,
  signJobDocument,
  startEmbeddedBroker,
  type TimeSeriesPoint,
} from '@edgetwin/cloud'
import { parseDispatchConfig, startDispatchServer } from '@edgetwin/openfast-container'
import type { TurbineSample } from '@edgetwin/shared-schemas'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { handler } from '../../cloud/src/lambda/twin-detector.js'
import { S3WireServer } from '../fleet/support/s3-wire-server.js'
import { silentLogger } from '../ingest/support/fixtures.js'
import { startTimestreamWire, type TimestreamWire } from '../ingest/support/timestream-wire.js'
import { type KmsWire, startKmsWire } from '../jobs/support/kms-wire.js'
import { startTestTurbine, waitFor } from '../jobs/support/turbine.js'
import { restJsonError, startWireServer, type WireServer } from '../support/aws-wire.js'
import { modelTelemetry } from '../twin/support/turbine-telemetry.js'
import { type SecretsManagerWire, startSecretsManagerWire } from './support/secrets-manager-wire.js'
import { startTimestreamQueryWire, type TimestreamQueryWire } from './support/timestream-query-wire.js'

// 64 hexadecimal characters: the 256 bits the dispatch server requires of a token (`openssl rand -hex 32`).
const TOKEN = '5f0c7e1a9b3d24c68e07f1a2b4c6d8e0f1325476a8b9cadbecfd0e1f2a3b4c5d'
const TOKEN_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:edgetwin-dispatch-token-Ab12Cd'
const start = new Date('2026-10-01T12:00:00Z')
const end = new Date(start.getTime() + 600_000)

/** 1 Hz telemetry of a turbine in 14 m/s wind at turbulence intensity `ti`, from the model itself. */
const telemetry = (ti: number, seed: number): TurbineSample[] => modelTelemetry(ti, seed, start)

const point = (deviceId: string, seq: number, s: TurbineSample): TimeSeriesPoint => {
  const { time, alarms, ...rest } = s
  return {
    deviceId,
    measurement: 'turbine',
    timeMs: Date.parse(time),
    seq,
    dimensions: {},
    measures: rest as Record<string, number>,
    alarms,
  }
}

/** An EventBridge scheduled event (EventBridge user guide, "Scheduled events"). */
const scheduled = (time: Date) => ({
  version: '0',
  id: '89d1a02d-5ec7-412e-82f5-13505f849b41',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: time.toISOString().replace('.000Z', 'Z'),
  region: 'eu-west-1',
  resources: ['arn:aws:events:eu-west-1:123456789012:rule/edgetwin-detector'],
  detail: {},
})
const context = { invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:edgetwin-detector' }

describe('twin detector Lambda (handler): one tick on Timestream, the dispatch server, IoT Jobs, SNS and S3', () => {
  let write: TimestreamWire
  let query: TimestreamQueryWire
  let iot: WireServer
  let sns: WireServer
  let secrets: SecretsManagerWire
  let kms: KmsWire
  const s3 = new S3WireServer()
  let dispatch: { url: string; close(): Promise<void> }
  let dataDir: string
  const created: Array<{ jobId: string; body: Record<string, unknown> }> = []

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'edgetwin-detector-'))
    write = await startTimestreamWire('edgetwin', 'telemetry')
    query = await startTimestreamQueryWire('edgetwin', 'telemetry', write.stored, 500)
    await s3.start()
    secrets = await startSecretsManagerWire(new Map([[TOKEN_ARN, TOKEN]]))
    kms = await startKmsWire()
    // AWS IoT CreateJob is `PUT /jobs/{jobId}` in the REST-JSON protocol (AWS IoT API reference).
    iot = await startWireServer((req) => {
      const m = /^\/jobs\/([^/]+)$/.exec(req.path)
      if (req.method === 'PUT' && m) {
        created.push({ jobId: m[1]!, body: req.json() })
        return {
          headers: { 'content-type': 'application/json' },
          body: { jobArn: `arn:aws:iot:eu-west-1:123456789012:job/${m[1]}`, jobId: m[1] },
        }
      }
      return restJsonError('ResourceNotFoundException', `no job at ${req.path}`, 404)
    })
    sns = await startWireServer(() => ({
      headers: { 'content-type': 'text/xml' },
      body: '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>94f20ce6-13c5-43a0-9a9e-ca52d816e90b</MessageId></PublishResult><ResponseMetadata><RequestId>f187a3c1</RequestId></ResponseMetadata></PublishResponse>',
    }))
    dispatch = await startDispatchServer(parseDispatchConfig({ port: 0, dataDir: join(dataDir, 'dispatch'), logLevel: 'silent' }), {
      bearerTokens: [TOKEN],
      log: silentLogger,
    })
    const writer = createTimestreamWriter({ client: write.client, database: 'edgetwin', table: 'telemetry', logger: silentLogger })
    await writer.write([
      ...telemetry(0.15, 11).map((s, i) => point('turbine-1', i + 1, s)),
      ...telemetry(0.05, 12).map((s, i) => point('turbine-2', i + 1, s)),
    ])
    const env: Record<string, string> = {
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIDTEST',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_ENDPOINT_URL_TIMESTREAM_QUERY: query.server.url,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ENDPOINT_URL_IOT: iot.url,
      AWS_ENDPOINT_URL_SNS: sns.url,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.server.url,
      AWS_ENDPOINT_URL_KMS: kms.server.url,
      JOB_SIGNING_KEY_ARN: kms.keyArn,
      TIMESTREAM_DATABASE: 'edgetwin',
      TIMESTREAM_TABLE: 'telemetry',
      DISPATCH_URL: dispatch.url,
      DISPATCH_TOKEN_SECRET_ARN: TOKEN_ARN,
      TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:edgetwin-twin',
      DECISIONS_BUCKET: 'edgetwin-results',
      TWIN_CONFIG_JSON: JSON.stringify({ detector: { overspeedEpisodesPerWindow: 2 }, dispatch: { pollIntervalMs: 200 } }),
      LOG_LEVEL: 'silent',
    }
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v)
  }, 60_000)
  afterAll(async () => {
    vi.unstubAllEnvs()
    await Promise.all([write.close(), query.close(), iot.close(), sns.close(), s3.close(), secrets.close(), dispatch.close(), kms.close()])
    rmSync(dataDir, { recursive: true, force: true })
  })

  // A tick runs 15 simulations on the dispatch server: minutes, not seconds, on a loaded 2-core machine.
  it('investigates the anomalous turbine, sends its canary job, records the decision in S3 and notifies on SNS', async () => {
    const result = await handler(scheduled(end), context)
    expect(result.at).toBe(end.toISOString())
    expect(result.turbines).toBe(2)
    expect(result.decisions).toHaveLength(1)
    const [d] = result.decisions
    expect(d!.deviceId).toBe('turbine-1')
    expect(d!.action).toBe('update')
    // IoT: one job, on the anomalous turbine only, as a thing ARN in the account taken from the function ARN.
    expect(created.map((c) => c.jobId)).toEqual([d!.jobId])
    expect(created[0]!.body['targets']).toEqual(['arn:aws:iot:eu-west-1:123456789012:thing/turbine-1'])
    expect(JSON.parse(created[0]!.body['document'] as string)).toMatchObject({ operation: 'controller-update', version: 1 })
    // S3: the decision as one object under the turbine's prefix, named by the scheduled time.
    const key = `edgetwin-results/twin-decisions/turbine-1/${end.toISOString()}-${d!.decisionId}.json`
    const record = JSON.parse(s3.objects.get(key)!.body.toString())
    expect(record).toMatchObject({ deviceId: 'turbine-1', jobId: d!.jobId, engine: 'rotor-model' })
    // Simulation ids by controller and seed: 5 controllers, 3 seeds each.
    const byController = record.results.simulationIds as Record<string, Record<string, string>>
    expect(Object.values(byController).map((bySeed) => Object.keys(bySeed).sort())).toEqual(Array(5).fill(['1', '2', '3']))
    // The job document names the decision record it came from.
    expect(JSON.parse(created[0]!.body['document'] as string).decisionId).toBe(record.id)
    // SNS: the anomaly, then the decision, to the stack's topic.
    const published = sns.requests.map((r) => new URLSearchParams(r.body.toString()))
    expect(published.map((p) => p.get('Action'))).toEqual(['Publish', 'Publish'])
    expect(published.map((p) => p.get('TopicArn'))).toEqual(Array(2).fill('arn:aws:sns:eu-west-1:123456789012:edgetwin-twin'))
    expect(published.map((p) => JSON.parse(p.get('Message')!).kind)).toEqual(['anomaly', 'decision'])
    // Timestream: the reader asked for the 10-minute window that ends at the scheduled time.
    expect(query.queries[0]).toContain(`from_milliseconds(${start.getTime()}) AND time < from_milliseconds(${end.getTime()})`)
    // Secrets Manager: the dispatch token was read by ARN (JSON 1.1, SigV4 for secretsmanager); the dispatch server,
    // which accepts only that token, ran the 15 simulations above.
    expect(secrets.reads).toEqual([TOKEN_ARN])
    const read = secrets.server.requests[0]!
    expect(read.headers['content-type']).toBe('application/x-amz-json-1.1')
    expect(read.headers.authorization).toContain('/eu-west-1/secretsmanager/aws4_request')
  }, 300_000)

  it('signs the job with the KMS key; an agent that requires signatures applies it, and refuses it signed by any other key', async () => {
    const job = created[0]!
    const document = JSON.parse(job.body['document'] as string) as Record<string, unknown>
    expect(kms.signs).toEqual([{ KeyId: kms.keyArn, MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256', messageBytes: 32 }])
    expect(document['signature']).toMatchObject({ algorithm: 'ECDSA_P256_SHA256', keyId: kms.keyArn })
    expect(document['binding']).toMatchObject({ jobId: job.jobId, things: ['turbine-1'] })
    // The expiry is the detector's default validity (JOB_SIGNATURE_VALIDITY_S, 24 h) after the tick ran (now).
    const expiresAtS = (document['binding'] as { expiresAtS: number }).expiresAtS
    expect(Math.abs(expiresAtS - (Date.now() / 1000 + 86_400))).toBeLessThan(600)

    // A real turbine agent, provisioned with the KMS key's public half, takes the job through the Jobs MQTT API.
    const broker: EmbeddedBroker = await startEmbeddedBroker({ port: 0 })
    const jobs = new LocalJobsService({
      brokerUrl: broker.url,
      dbPath: join(dataDir, 'jobs.db'),
      logger: pino({ level: 'silent' }),
      tickMs: 50,
    })
    await jobs.start()
    const turbine = await startTestTurbine(broker.url, 'turbine-1', { publicKeyPem: kms.publicKeyPem, requireSignature: true })
    const stop = turbine.telemetry.feed(20)
    const outcome = (jobId: string) =>
      waitFor(async () => {
        const e = (await jobs.describeJob(jobId))?.executions?.[0]
        return e && !['QUEUED', 'IN_PROGRESS'].includes(e.status) ? e : undefined
      })
    try {
      await jobs.createJob({ jobId: job.jobId, targets: ['turbine-1'], document })
      expect((await outcome(job.jobId)).status).toBe('SUCCEEDED')
      expect(turbine.store.current().version).toBe(2)
      const other = createLocalJobSigner(
        generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      )
      const { binding, ...unsigned } = document as { binding: { expiresAtS: number } }
      const forgedId = `${job.jobId}-forged`
      const forged = await signJobDocument(other, { ...unsigned, version: 2 }, { ...binding, jobId: forgedId, things: ['turbine-1'] })
      await jobs.createJob({ jobId: forgedId, targets: ['turbine-1'], document: forged })
      const refused = await outcome(forgedId)
      expect(refused.status).toBe('REJECTED')
      expect(refused.statusDetails).toMatchObject({ reasonCode: 'SIGNATURE_INVALID' })
      expect(turbine.store.current().version).toBe(2)
    } finally {
      stop()
      await turbine.close()
      await jobs.close()
      await broker.close()
    }
  }, 60_000)

  it('keeps the cooldown after a cold start: a new execution environment reads it from the decisions in S3', async () => {
    const jobsBefore = created.length
    const publishedBefore = sns.requests.length
    const coldStart = buildTwinDetector(process.env, context)
    const result = await coldStart(scheduled(new Date(end.getTime() + 60_000)))
    expect(result.turbines).toBe(2)
    expect(result.decisions).toEqual([])
    expect(created.length).toBe(jobsBefore)
    expect(sns.requests.length).toBe(publishedBefore)
    const listed = s3.requests.filter((r) => r.query.get('list-type') === '2').map((r) => r.query.get('prefix'))
    expect(listed).toContain('twin-decisions/turbine-1/')
    // A new execution environment reads the secret once more.
    expect(secrets.reads).toEqual([TOKEN_ARN, TOKEN_ARN])
  }, 300_000)

  it('reads the dispatch token once per execution environment: a warm invocation does not read it again', async () => {
    const result = await handler(scheduled(new Date(end.getTime() + 120_000)), context)
    expect(result.turbines).toBe(2)
    expect(secrets.reads).toEqual([TOKEN_ARN, TOKEN_ARN])
  }, 300_000)

  it('refuses both DISPATCH_TOKEN and DISPATCH_TOKEN_SECRET_ARN, or neither, with a coded error', () => {
    expect(() => buildTwinDetector({ ...process.env, DISPATCH_TOKEN: TOKEN }, context)).toThrow(
      expect.objectContaining({
        code: 'CLOUD_CONFIG_INVALID',
        message: 'set exactly one of DISPATCH_TOKEN and DISPATCH_TOKEN_SECRET_ARN; received both',
      }),
    )
    expect(() => buildTwinDetector({ ...process.env, DISPATCH_TOKEN_SECRET_ARN: undefined }, context)).toThrow(
      'set exactly one of DISPATCH_TOKEN and DISPATCH_TOKEN_SECRET_ARN; received neither',
    )
  })

  it('fails the tick on a secret it cannot read, and the next invocation tries the secret again', async () => {
    const missing = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:gone-Zz99Yy'
    const tick = buildTwinDetector({ ...process.env, DISPATCH_TOKEN_SECRET_ARN: missing }, context)
    const before = secrets.reads.length
    for (let i = 0; i < 2; i++) {
      await expect(tick(scheduled(end))).rejects.toMatchObject({
        code: 'CLOUD_SECRET_UNREADABLE',
        message: expect.stringContaining('ResourceNotFoundException'),
      })
    }
    expect(secrets.reads.slice(before)).toEqual([missing, missing])
  })

  it('refuses a TWIN_CONFIG_JSON outside the schema, naming the field', () => {
    expect(() => buildTwinDetector({ ...process.env, TWIN_CONFIG_JSON: '{"windowMinutes": 0}' }, context)).toThrow(/windowMinutes/)
    expect(() => buildTwinDetector({ ...process.env, TWIN_CONFIG_JSON: '{"detector"' }, context)).toThrow(/TWIN_CONFIG_JSON is not JSON/)
  })
})
