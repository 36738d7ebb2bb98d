import { createHash, createPublicKey, generateKeyPairSync, verify } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  createKmsJobSigner,
  createLocalJobSigner,
  type EmbeddedBroker,
  type JobSigner,
  LocalJobsService,
  signJobDocument,
  startEmbeddedBroker,
} from '@edgetwin/cloud'
import { CONTROLLER_PARAMETER_DEFAULTS, canonicalJson } from '@edgetwin/shared-schemas'
import pino from 'pino'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { testCredentials } from '../support/aws-wire.js'
import { type KmsWire, startKmsWire } from './support/kms-wire.js'
import { startTestTurbine, type TestTurbine, waitFor } from './support/turbine.js'

const D = CONTROLLER_PARAMETER_DEFAULTS
let broker: EmbeddedBroker
let service: LocalJobsService
let kms: KmsWire
let signer: JobSigner
const open: TestTurbine[] = []
const dbDir = mkdtempSync(join(tmpdir(), 'edgetwin-signing-db-'))
let version = 1

beforeAll(async () => {
  broker = await startEmbeddedBroker({ port: 0 })
  service = new LocalJobsService({ brokerUrl: broker.url, dbPath: join(dbDir, 'jobs.db'), logger: pino({ level: 'silent' }), tickMs: 50 })
  await service.start()
  kms = await startKmsWire()
  signer = createKmsJobSigner({
    keyId: kms.keyArn,
    client: { region: 'eu-west-1', endpoint: kms.server.url, credentials: testCredentials },
  })
})
afterAll(async () => {
  await service.close()
  await broker.close()
  await kms.close()
  rmSync(dbDir, { recursive: true, force: true })
})
afterEach(async () => {
  for (const t of open.splice(0)) await t.close()
})

async function turbine(name: string, config: Record<string, unknown> = {}) {
  const t = await startTestTurbine(broker.url, name, { publicKeyPem: kms.publicKeyPem, requireSignature: true, ...config })
  open.push(t)
  return t
}

const update = () => ({
  operation: 'controller-update',
  version: ++version,
  parameters: { pitchProportionalGainS: D.pitchProportionalGainS * 1.05 },
})
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600

async function outcome(jobId: string, thing: string) {
  return waitFor(
    async () => {
      const e = (await service.describeJob(jobId))?.executions?.find((x) => x.thingName === thing)
      return e && !['QUEUED', 'IN_PROGRESS'].includes(e.status) ? e : undefined
    },
    15_000,
    `execution of ${jobId} on ${thing}`,
  )
}

describe('job documents signed by AWS KMS (ECC_NIST_P256, ECDSA_SHA_256) and verified by the agent', () => {
  it('signs the SHA-256 digest of the canonical document through KMS Sign, and the signature verifies with the public key alone', async () => {
    const doc = await signJobDocument(signer, update(), { jobId: 'sig-wire', things: ['turbine-001'], expiresAtS: inAnHour() })
    const req = kms.server.requests.at(-1)!
    expect(req.target).toBe('TrentService.Sign')
    expect(req.headers['content-type']).toBe('application/x-amz-json-1.1')
    expect(req.headers.authorization).toContain('/eu-west-1/kms/aws4_request')
    const body = req.json()
    expect(body).toMatchObject({ KeyId: kms.keyArn, MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' })
    const { signature, ...unsigned } = doc as { signature: { algorithm: string; keyId: string; value: string } }
    const canonical = Buffer.from(canonicalJson(unsigned))
    expect(Buffer.from(body.Message, 'base64')).toEqual(createHash('sha256').update(canonical).digest())
    expect(signature).toMatchObject({ algorithm: 'ECDSA_P256_SHA256', keyId: kms.keyArn })
    const key = createPublicKey(kms.publicKeyPem)
    expect(verify('sha256', canonical, { key, dsaEncoding: 'der' }, Buffer.from(signature.value, 'base64'))).toBe(true)
  })

  it('fails with a coded error naming the key when KMS refuses to sign', async () => {
    const missing = 'arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000'
    const wrong = createKmsJobSigner({
      keyId: missing,
      client: { region: 'eu-west-1', endpoint: kms.server.url, credentials: testCredentials },
    })
    await expect(signJobDocument(wrong, update(), { jobId: 'sig-missing', things: ['t'], expiresAtS: inAnHour() })).rejects.toMatchObject({
      code: 'CLOUD_JOB_SIGNING_FAILED',
      message: expect.stringMatching(new RegExp(`^KMS Sign with key ${missing} failed: .*does not exist`)),
    })
    await expect(signJobDocument(signer, update(), { jobId: 'sig-untargeted', expiresAtS: inAnHour() })).rejects.toMatchObject({
      code: 'CLOUD_JOB_SIGNING_INVALID',
      message: 'signature binding for job sig-untargeted names no thing and no thing group',
    })
  })

  it('a document signed for turbine-002 is applied there and refused by turbine-001; another job id or an expired one is refused', async () => {
    const one = await turbine('turbine-001')
    const two = await turbine('turbine-002')
    const stops = [one.telemetry.feed(20), two.telemetry.feed(20)]
    try {
      const forTwo = await signJobDocument(signer, update(), { jobId: 'for-two', things: ['turbine-002'], expiresAtS: inAnHour() })
      await service.createJob({ jobId: 'for-two', targets: ['turbine-002'], document: forTwo })
      expect((await outcome('for-two', 'turbine-002')).status).toBe('SUCCEEDED')
      // The same signed bytes offered to turbine-001, under the same job id and under a new one.
      await service.createJob({ jobId: 'for-two-replayed', targets: ['turbine-001'], document: forTwo })
      expect((await outcome('for-two-replayed', 'turbine-001')).statusDetails).toMatchObject({ reasonCode: 'SIGNATURE_WRONG_JOB' })
      const wide = await signJobDocument(signer, update(), { jobId: 'wide', things: ['turbine-002'], expiresAtS: inAnHour() })
      await service.createJob({ jobId: 'wide', targets: ['turbine-001'], document: wide })
      const refused = await outcome('wide', 'turbine-001')
      expect(refused.status).toBe('REJECTED')
      expect(refused.statusDetails).toMatchObject({ reasonCode: 'SIGNATURE_WRONG_TARGET' })
      const expired = await signJobDocument(signer, update(), {
        jobId: 'expired',
        things: ['turbine-001'],
        expiresAtS: Math.floor(Date.now() / 1000) - 301,
      })
      await service.createJob({ jobId: 'expired', targets: ['turbine-001'], document: expired })
      expect((await outcome('expired', 'turbine-001')).statusDetails).toMatchObject({ reasonCode: 'SIGNATURE_EXPIRED' })
      expect(one.store.current().version).toBe(1)
    } finally {
      for (const stop of stops) stop()
    }
  })

  it('applies a document bound to a thing group the agent is configured in, and refuses one signed by a local key it does not pin', async () => {
    const t = await turbine('turbine-003', { thingGroups: ['farm-north'] })
    const stop = t.telemetry.feed(20)
    try {
      const grouped = await signJobDocument(signer, update(), { jobId: 'grouped', thingGroups: ['farm-north'], expiresAtS: inAnHour() })
      await service.createJob({ jobId: 'grouped', targets: ['turbine-003'], document: grouped })
      expect((await outcome('grouped', 'turbine-003')).status).toBe('SUCCEEDED')
      const rogue = createLocalJobSigner(
        generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      )
      const forged = await signJobDocument(rogue, update(), { jobId: 'forged', things: ['turbine-003'], expiresAtS: inAnHour() })
      await service.createJob({ jobId: 'forged', targets: ['turbine-003'], document: forged })
      expect((await outcome('forged', 'turbine-003')).statusDetails).toMatchObject({ reasonCode: 'SIGNATURE_INVALID' })
    } finally {
      stop()
    }
  })
})
