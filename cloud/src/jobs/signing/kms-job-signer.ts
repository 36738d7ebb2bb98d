import { createHash } from 'node:crypto'
import { KMSClient, type KMSClientConfig, SignCommand, type SignCommandOutput } from '@aws-sdk/client-kms'
import { CloudError } from '../../errors.js'
import type { JobSigner } from './job-signer.js'

export interface KmsJobSignerOptions {
  /** Key id, key ARN, alias name or alias ARN of an asymmetric `ECC_NIST_P256` key with usage `SIGN_VERIFY`. */
  readonly keyId: string
  /** A client, or the configuration to build one (region, endpoint). */
  readonly client: KMSClient | KMSClientConfig
}

/**
 * The JobSigner on AWS KMS: ECDSA_SHA_256 with an ECC_NIST_P256 key, so the private key never leaves KMS and only
 * principals the key policy and IAM allow `kms:Sign` can sign. The SHA-256 digest is computed here and sent with
 * `MessageType: DIGEST`, so a document may exceed the 4096 bytes KMS accepts as a raw message (KMS API reference,
 * Sign). KMS returns a DER-encoded signature, which is what the agent verifies.
 */
export function createKmsJobSigner(options: KmsJobSignerOptions): JobSigner {
  const client = options.client instanceof KMSClient ? options.client : new KMSClient(options.client)
  return {
    algorithm: 'ECDSA_P256_SHA256',
    keyId: options.keyId,
    async sign(message) {
      const digest = createHash('sha256').update(message).digest()
      let out: SignCommandOutput
      try {
        out = await client.send(
          new SignCommand({ KeyId: options.keyId, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' }),
        )
      } catch (err) {
        throw new CloudError('CLOUD_JOB_SIGNING_FAILED', `KMS Sign with key ${options.keyId} failed: ${(err as Error).message}`, {
          cause: err,
        })
      }
      if (!out.Signature || out.Signature.length === 0) {
        throw new CloudError('CLOUD_JOB_SIGNING_FAILED', `KMS Sign with key ${options.keyId} returned no signature`)
      }
      if (out.SigningAlgorithm !== undefined && out.SigningAlgorithm !== 'ECDSA_SHA_256') {
        throw new CloudError(
          'CLOUD_JOB_SIGNING_FAILED',
          `KMS signed with ${out.SigningAlgorithm}; ECDSA_SHA_256 (an ECC_NIST_P256 key) is required`,
        )
      }
      return Buffer.from(out.Signature)
    },
  }
}
