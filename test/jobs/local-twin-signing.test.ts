import { generateKeyPairSync } from 'node:crypto'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSignatureVerifier } from '@edgetwin/agent'
import { type JobsService, localTwinJobSigning, twinJobsFrom } from '@edgetwin/cloud'
import { afterAll, describe, expect, it } from 'vitest'

// The embedded default's twin signs its jobs with a local key (twin.jobSigning), so local turbines that require
// signatures accept them, as they accept the detector's KMS-signed ones on AWS.

const dir = mkdtempSync(join(tmpdir(), 'edgetwin-twin-signing-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function keyFile(name: string, mode: number) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const path = join(dir, name)
  writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }))
  chmodSync(path, mode)
  return { path, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() }
}

describe('twin.jobSigning (local key)', () => {
  it("signs every controller update, bound to its job, targets and expiry, so a turbine's verifier accepts it", async () => {
    const key = keyFile('twin-signing.pem', 0o600)
    const created: Array<{ jobId: string; document: Record<string, unknown> }> = []
    const service = {
      createJob: async (job: { jobId: string; document: Record<string, unknown> }) => {
        created.push(job)
      },
      describeJob: async () => undefined,
    } as unknown as JobsService
    const nowMs = Date.UTC(2026, 10, 30, 12)
    const jobs = twinJobsFrom(
      service,
      localTwinJobSigning({ privateKeyFile: key.path, validityS: 3600 }, () => nowMs),
    )
    await jobs.createJob({
      jobId: 'twin-turbine-007-1',
      targets: ['turbine-007'],
      document: { operation: 'controller-update', version: 3, parameters: { pitchKp: 0.02 } },
      description: 'test',
      abortFailurePercent: 0,
    } as never)
    expect(created).toHaveLength(1)
    const { signature, binding, ...rest } = (created[0] as { document: Record<string, unknown> }).document as Record<string, unknown> & {
      signature: { algorithm: 'ECDSA_P256_SHA256'; value: string }
      binding: { jobId: string; things: string[]; expiresAtS: number }
    }
    expect(binding).toEqual({ jobId: 'twin-turbine-007-1', things: ['turbine-007'], expiresAtS: nowMs / 1000 + 3600 })
    expect(signature.algorithm).toBe('ECDSA_P256_SHA256')
    const verify = createSignatureVerifier(key.publicKeyPem)
    expect(verify({ ...rest, binding }, signature)).toBe(true)
    // Any change to what was signed — the parameters, or the binding's target — breaks it.
    expect(verify({ ...rest, parameters: { pitchKp: 0.03 }, binding }, signature)).toBe(false)
    expect(verify({ ...rest, binding: { ...binding, things: ['turbine-008'] } }, signature)).toBe(false)
    expect(verify({ ...rest, binding }, { ...signature, value: Buffer.alloc(70, 1).toString('base64') })).toBe(false)
  })

  it('refuses a key file others can read, and a missing one, naming the field', () => {
    const loose = keyFile('loose.pem', 0o644)
    expect(() => localTwinJobSigning({ privateKeyFile: loose.path, validityS: 3600 })).toThrow(
      expect.objectContaining({
        code: 'CLOUD_CONFIG_INVALID',
        message: expect.stringMatching(/twin\.jobSigning\.privateKeyFile: .*mode 644.*chmod 600/),
      }),
    )
    expect(() => localTwinJobSigning({ privateKeyFile: join(dir, 'absent.pem'), validityS: 3600 })).toThrow(/cannot read .*absent\.pem/)
    expect(localTwinJobSigning(undefined)).toBeUndefined()
  })
})
