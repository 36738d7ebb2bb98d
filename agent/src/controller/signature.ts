import { createPublicKey, type KeyObject, verify } from 'node:crypto'
import {
  canonicalJobDocumentBytes,
  type JobSignature,
  type JobSignatureAlgorithm,
  type JobSignatureBinding,
} from '@edgetwin/shared-schemas'
import { JobsError } from '../jobs/errors.js'

/** Verifies a detached signature over a job document's canonical bytes with the pinned key. */
export type SignatureVerifier = (document: Record<string, unknown>, signature: Pick<JobSignature, 'algorithm' | 'value'>) => boolean

/** The scheme a pinned key verifies, from its type: a key never verifies a signature that claims another scheme. */
function schemeOf(key: KeyObject): JobSignatureAlgorithm | undefined {
  if (key.asymmetricKeyType === 'ed25519') return 'Ed25519'
  // prime256v1 is OpenSSL's name for NIST P-256 (secp256r1), the curve of a KMS ECC_NIST_P256 key.
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ECDSA_P256_SHA256'
  return undefined
}

/**
 * Verifier of detached signatures against the pinned public key: Ed25519 (node:crypto takes `null` as the digest,
 * Ed25519 signs the message itself) or ECDSA P-256 over SHA-256 with the DER signature encoding AWS KMS returns
 * (KMS API reference, Sign: "the signature format for ECDSA is DER-encoded").
 */
export function createSignatureVerifier(publicKeyPem: string): SignatureVerifier {
  let key: KeyObject
  try {
    key = createPublicKey(publicKeyPem)
  } catch (err) {
    throw new JobsError('AGENT_JOBS_CONFIG', 'jobs.publicKeyPem is not a readable public key', { cause: err })
  }
  const scheme = schemeOf(key)
  if (!scheme) {
    const curve = key.asymmetricKeyDetails?.namedCurve
    throw new JobsError(
      'AGENT_JOBS_CONFIG',
      `jobs.publicKeyPem is a ${key.asymmetricKeyType}${curve ? ` ${curve}` : ''} key; an Ed25519 or ECDSA P-256 (prime256v1) key is required`,
    )
  }
  return (document, signature) => {
    if (signature.algorithm !== scheme) return false
    const bytes = Buffer.from(signature.value, 'base64')
    try {
      if (scheme === 'Ed25519') {
        // An Ed25519 signature is exactly 64 bytes (RFC 8032 section 5.1.6).
        return bytes.length === 64 && verify(null, canonicalJobDocumentBytes(document), key, bytes)
      }
      // A DER ECDSA-Sig-Value on P-256 is a SEQUENCE of two INTEGERs of at most 33 bytes: 8 to 72 bytes.
      return (
        bytes.length >= 8 && bytes.length <= 72 && verify('sha256', canonicalJobDocumentBytes(document), { key, dsaEncoding: 'der' }, bytes)
      )
    } catch {
      return false
    }
  }
}

/** Where and when a document is being executed, to check its signature binding against. */
export interface BindingContext {
  readonly jobId: string
  readonly thingName: string
  /** Thing groups this device belongs to (configured). */
  readonly thingGroups: readonly string[]
  readonly nowS: number
  readonly clockSkewS: number
}

export type BindingCode = 'SIGNATURE_UNBOUND' | 'SIGNATURE_WRONG_JOB' | 'SIGNATURE_WRONG_TARGET' | 'SIGNATURE_EXPIRED'

export type BindingCheck = { readonly ok: true } | { readonly ok: false; readonly code: BindingCode; readonly reason: string }

const quote = (value: string) => JSON.stringify(value).slice(0, 140)

/**
 * Checks the signed binding of a document: issued for this job id, naming this thing (or one of its groups),
 * and not expired. Pure: the caller supplies the clock.
 */
export function checkSignatureBinding(binding: JobSignatureBinding | undefined, ctx: BindingContext): BindingCheck {
  if (!binding) return { ok: false, code: 'SIGNATURE_UNBOUND', reason: 'signed document has no binding (job id, targets, expiry)' }
  if (binding.jobId !== ctx.jobId) {
    return { ok: false, code: 'SIGNATURE_WRONG_JOB', reason: `signed for job ${quote(binding.jobId)}, executed as job ${quote(ctx.jobId)}` }
  }
  const things = binding.things ?? []
  const groups = binding.thingGroups ?? []
  if (!things.includes(ctx.thingName) && !groups.some((g) => ctx.thingGroups.includes(g))) {
    const named = [...things.slice(0, 5).map((t) => `thing ${t}`), ...groups.slice(0, 5).map((g) => `group ${g}`)].join(', ') || 'no target'
    return { ok: false, code: 'SIGNATURE_WRONG_TARGET', reason: `signed for ${named}; this is thing ${quote(ctx.thingName)}` }
  }
  if (ctx.nowS > binding.expiresAtS + ctx.clockSkewS) {
    const at = new Date(binding.expiresAtS * 1000).toISOString()
    return { ok: false, code: 'SIGNATURE_EXPIRED', reason: `signature expired at ${at} (clock skew allowed ${ctx.clockSkewS} s)` }
  }
  return { ok: true }
}
