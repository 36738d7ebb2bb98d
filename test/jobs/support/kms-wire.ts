import { createHash, generateKeyPairSync } from 'node:crypto'
import { p256 } from '@noble/curves/nist.js'
import { awsJsonError, startWireServer, type WireServer } from '../../support/aws-wire.js'

export interface KmsSignRequest {
  readonly KeyId: string
  readonly MessageType: string
  readonly SigningAlgorithm: string
  readonly messageBytes: number
}

export interface KmsWire {
  readonly server: WireServer
  readonly keyArn: string
  /** The key's public half as an agent pins it (SPKI PEM, what GetPublicKey returns as DER). */
  readonly publicKeyPem: string
  readonly signs: KmsSignRequest[]
  close(): Promise<void>
}

/**
 * AWS KMS answering `TrentService.Sign` (JSON 1.1) for one asymmetric ECC_NIST_P256 key, as the KMS API reference
 * describes it: `Message` base64, `MessageType` RAW (hashed here) or DIGEST (exactly 32 bytes for ECDSA_SHA_256,
 * signed as given), a DER-encoded signature back. The private key stays inside this fake, as it stays in KMS.
 */
export async function startKmsWire(
  keyArn = 'arn:aws:kms:eu-west-1:123456789012:key/0f7e2a8c-5b1d-4c3e-9a6f-2d8b7c1e4a90',
): Promise<KmsWire> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const secret = Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url')
  const signs: KmsSignRequest[] = []
  const server = await startWireServer((req) => {
    if (req.target !== 'TrentService.Sign') return awsJsonError('UnsupportedOperationException', `${req.target} is not served here`)
    const body = req.json() as { KeyId?: string; Message?: string; MessageType?: string; SigningAlgorithm?: string }
    const message = Buffer.from(body.Message ?? '', 'base64')
    const messageType = body.MessageType ?? 'RAW'
    signs.push({
      KeyId: String(body.KeyId),
      MessageType: messageType,
      SigningAlgorithm: String(body.SigningAlgorithm),
      messageBytes: message.length,
    })
    if (body.KeyId !== keyArn) return awsJsonError('NotFoundException', `Key '${body.KeyId}' does not exist`)
    if (body.SigningAlgorithm !== 'ECDSA_SHA_256') {
      return awsJsonError('InvalidKeyUsageException', `${body.SigningAlgorithm} is not valid for a key of spec ECC_NIST_P256`)
    }
    if (messageType === 'DIGEST' && message.length !== 32) {
      return awsJsonError('ValidationException', `a DIGEST for ECDSA_SHA_256 must be 32 bytes, got ${message.length}`)
    }
    if (messageType === 'RAW' && message.length > 4096)
      return awsJsonError('ValidationException', 'a RAW message must be at most 4096 bytes')
    const digest = messageType === 'RAW' ? createHash('sha256').update(message).digest() : message
    const signature = p256.sign(digest, secret, { prehash: false, format: 'der', lowS: false })
    return { body: { KeyId: keyArn, Signature: Buffer.from(signature).toString('base64'), SigningAlgorithm: 'ECDSA_SHA_256' } }
  })
  return {
    server,
    keyArn,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    signs,
    close: () => server.close(),
  }
}
