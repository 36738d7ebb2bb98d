import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto'
import { AgentJobsConfig, CONTROLLER_PARAMETER_DEFAULTS, canonicalJson, createValidator, parseConfig } from '@edgetwin/shared-schemas'
import { describe, expect, it } from 'vitest'
import { checkControllerUpdate, type UpdateCheckContext } from './envelope.js'
import { createSignatureVerifier } from './signature.js'

const config = parseConfig(createValidator(AgentJobsConfig), {})
const D = CONTROLLER_PARAMETER_DEFAULTS
const NOW_S = 1_790_000_000
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const ed = generateKeyPairSync('ed25519')
const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString()

const document = (binding: Record<string, unknown> | undefined) => ({
  operation: 'controller-update',
  version: 2,
  parameters: { pitchProportionalGainS: D.pitchProportionalGainS * 1.1 },
  ...(binding ? { binding } : {}),
})
const binding = (over: Record<string, unknown> = {}) => ({ jobId: 'twin-7', things: ['turbine-001'], expiresAtS: NOW_S + 600, ...over })

/**
 * Signs with node:crypto directly (not the cloud's signer): the canonical JSON (pinned on a sample in the first
 * test), `signature` left out; ECDSA over SHA-256 with a DER signature, or Ed25519.
 */
function signed(
  doc: Record<string, unknown>,
  key: KeyObject,
  algorithm = key.asymmetricKeyType === 'ed25519' ? 'Ed25519' : 'ECDSA_P256_SHA256',
) {
  const bytes = Buffer.from(canonicalJson(doc))
  const value = key.asymmetricKeyType === 'ed25519' ? sign(null, bytes, key) : sign('sha256', bytes, { key, dsaEncoding: 'der' })
  return { ...doc, signature: { algorithm, value: value.toString('base64') } }
}

function check(doc: unknown, publicKeyPem: string, over: Partial<UpdateCheckContext['binding'] & object> = {}) {
  return checkControllerUpdate(doc, {
    current: { ...D },
    lastDocumentVersion: 1,
    envelope: config.envelope,
    defaultMaxChangeFraction: config.maxChangeFraction,
    requireSignature: true,
    verifySignature: createSignatureVerifier(publicKeyPem),
    binding: { jobId: 'twin-7', thingName: 'turbine-001', thingGroups: [], nowS: NOW_S, clockSkewS: 300, ...over },
  })
}

describe('job signature verifier', () => {
  it('accepts an ECDSA P-256 (KMS ECC_NIST_P256) signature over the canonical document bound to this job and thing', () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: [3] } })).toBe('{"a":{"c":[3],"d":2},"b":1}')
    const result = check(signed(document(binding()), p256.privateKey), pem(p256.publicKey))
    expect(result).toMatchObject({ ok: true })
  })

  it('keeps accepting Ed25519', () => {
    expect(check(signed(document(binding()), ed.privateKey), pem(ed.publicKey))).toMatchObject({ ok: true })
  })

  it('refuses a signature by another P-256 key, one claiming another scheme, and a tampered binding', () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const pinned = pem(p256.publicKey)
    const tampered = { ...signed(document(binding()), p256.privateKey), binding: binding({ things: ['turbine-002'] }) }
    for (const doc of [signed(document(binding()), other.privateKey), signed(document(binding()), p256.privateKey, 'Ed25519'), tampered]) {
      expect(check(doc, pinned)).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' })
    }
  })

  it('binds the signature to the job id, the target things or groups and the expiry', () => {
    const pinned = pem(p256.publicKey)
    const sig = (b: Record<string, unknown> | undefined) => signed(document(b), p256.privateKey)
    expect(check(sig(undefined), pinned)).toMatchObject({ ok: false, code: 'SIGNATURE_UNBOUND' })
    expect(check(sig(binding({ jobId: 'twin-6' })), pinned)).toMatchObject({
      ok: false,
      code: 'SIGNATURE_WRONG_JOB',
      reason: 'signed for job "twin-6", executed as job "twin-7"',
    })
    // Signed for turbine-002, offered to turbine-001: the case of issue #16 point 9.
    expect(check(sig(binding({ things: ['turbine-002'] })), pinned)).toMatchObject({
      ok: false,
      code: 'SIGNATURE_WRONG_TARGET',
      reason: 'signed for thing turbine-002; this is thing "turbine-001"',
    })
    const group = sig(binding({ things: undefined, thingGroups: ['farm-north'] }))
    expect(check(group, pinned)).toMatchObject({ ok: false, code: 'SIGNATURE_WRONG_TARGET' })
    expect(check(group, pinned, { thingGroups: ['farm-south', 'farm-north'] })).toMatchObject({ ok: true })
    const expiring = sig(binding({ expiresAtS: NOW_S - 100 }))
    expect(check(expiring, pinned)).toMatchObject({ ok: true })
    expect(check(expiring, pinned, { nowS: NOW_S + 201 })).toMatchObject({
      ok: false,
      code: 'SIGNATURE_EXPIRED',
      reason: `signature expired at ${new Date((NOW_S - 100) * 1000).toISOString()} (clock skew allowed 300 s)`,
    })
  })

  it('refuses to pin a key of another type or curve, naming what it got and what is allowed', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' })
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
    expect(() => createSignatureVerifier(pem(p384.publicKey))).toThrow(
      expect.objectContaining({
        code: 'AGENT_JOBS_CONFIG',
        message: 'jobs.publicKeyPem is a ec secp384r1 key; an Ed25519 or ECDSA P-256 (prime256v1) key is required',
      }),
    )
    expect(() => createSignatureVerifier(pem(rsa.publicKey))).toThrow(/is a rsa key; an Ed25519 or ECDSA P-256/)
  })
})
