import { createPublicKey, type KeyObject, verify } from 'node:crypto'
import { canonicalJobDocumentBytes } from '@edgetwin/shared-schemas'
import { JobsError } from '../jobs/errors.js'

/**
 * Verifier of detached Ed25519 signatures against the pinned public key. Ed25519 signs the message itself,
 * so node:crypto takes `null` as the digest (Node.js crypto docs, `crypto.verify`).
 */
export function createSignatureVerifier(publicKeyPem: string): (document: Record<string, unknown>, signatureBase64: string) => boolean {
  let key: KeyObject
  try {
    key = createPublicKey(publicKeyPem)
  } catch (err) {
    throw new JobsError('AGENT_JOBS_CONFIG', 'jobs.publicKeyPem is not a readable public key', { cause: err })
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new JobsError('AGENT_JOBS_CONFIG', `jobs.publicKeyPem is a ${key.asymmetricKeyType} key; an Ed25519 key is required`)
  }
  return (document, signatureBase64) => {
    const signature = Buffer.from(signatureBase64, 'base64')
    // An Ed25519 signature is exactly 64 bytes (RFC 8032 section 5.1.6).
    if (signature.length !== 64) return false
    try {
      return verify(null, canonicalJobDocumentBytes(document), key, signature)
    } catch {
      return false
    }
  }
}
