import { createPrivateKey, type KeyObject, sign } from 'node:crypto'
import {
  canonicalJobDocumentBytes,
  createValidator,
  type JobSignature,
  type JobSignatureAlgorithm,
  JobSignatureBinding,
} from '@edgetwin/shared-schemas'
import { CloudError } from '../../errors.js'

/**
 * The JobSigner port: signs a job document's canonical bytes with a key the caller never sees (AWS KMS) or a key
 * held locally (the embedded default and tests). The agent verifies with the matching public key pinned at
 * provisioning (`jobs.publicKeyPem`).
 */
export interface JobSigner {
  readonly algorithm: JobSignatureAlgorithm
  /** Names the key in the signature (e.g. the KMS key ARN), for audit and key rotation; not trusted by devices. */
  readonly keyId?: string
  /** The raw signature over `message`: 64 bytes for Ed25519, a DER ECDSA-Sig-Value for ECDSA P-256. */
  sign(message: Buffer): Promise<Buffer>
}

const bindingValidator = createValidator(JobSignatureBinding)

/**
 * Binds `document` to a job id, its targets and an expiry, and signs it. The binding is part of the signed bytes
 * (`canonicalJobDocumentBytes` covers everything but `signature`), so a device can check all three.
 */
export async function signJobDocument(
  signer: JobSigner,
  document: Record<string, unknown>,
  binding: JobSignatureBinding,
): Promise<Record<string, unknown>> {
  if (!bindingValidator.check(binding)) {
    const why = bindingValidator
      .errors(binding)
      .map((e) => `${e.path || '(root)'}: ${e.message}`)
      .join('; ')
    throw new CloudError('CLOUD_JOB_SIGNING_INVALID', `signature binding is invalid: ${why}`)
  }
  if (!binding.things?.length && !binding.thingGroups?.length) {
    throw new CloudError('CLOUD_JOB_SIGNING_INVALID', `signature binding for job ${binding.jobId} names no thing and no thing group`)
  }
  const { signature: _previous, ...unsigned } = document
  const bound = { ...unsigned, binding }
  const value = await signer.sign(canonicalJobDocumentBytes(bound))
  const signature: JobSignature = {
    algorithm: signer.algorithm,
    ...(signer.keyId ? { keyId: signer.keyId } : {}),
    value: value.toString('base64'),
  }
  return { ...bound, signature }
}

function schemeOf(key: KeyObject): JobSignatureAlgorithm {
  if (key.asymmetricKeyType === 'ed25519') return 'Ed25519'
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ECDSA_P256_SHA256'
  const curve = key.asymmetricKeyDetails?.namedCurve
  throw new CloudError(
    'CLOUD_CONFIG_INVALID',
    `job signing key is a ${key.asymmetricKeyType}${curve ? ` ${curve}` : ''} key; an Ed25519 or ECDSA P-256 (prime256v1) key is required`,
  )
}

/** A signer with a private key held in this process (PKCS#8 PEM): Ed25519 or ECDSA P-256. */
export function createLocalJobSigner(privateKeyPem: string, keyId?: string): JobSigner {
  let key: KeyObject
  try {
    key = createPrivateKey(privateKeyPem)
  } catch (err) {
    throw new CloudError('CLOUD_CONFIG_INVALID', 'job signing key is not a readable private key', { cause: err })
  }
  const algorithm = schemeOf(key)
  return {
    algorithm,
    ...(keyId ? { keyId } : {}),
    async sign(message) {
      return algorithm === 'Ed25519' ? sign(null, message, key) : sign('sha256', message, { key, dsaEncoding: 'der' })
    },
  }
}
