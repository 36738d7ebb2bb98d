import { awsJsonError, startWireServer, type WireServer } from '../../support/aws-wire.js'

export interface SecretsManagerWire {
  readonly server: WireServer
  /** SecretId of every GetSecretValue call that reached the server, in order. */
  readonly reads: string[]
  close(): Promise<void>
}

/**
 * Answers as AWS Secrets Manager's JSON 1.1 API (`X-Amz-Target: secretsmanager.GetSecretValue`, body
 * `{"SecretId": …}`): the current version's ARN, Name, VersionId, SecretString, VersionStages and CreatedDate (epoch
 * seconds), or HTTP 400 `ResourceNotFoundException` for a secret it does not hold (Secrets Manager API reference,
 * GetSecretValue). `secrets` maps an ARN to its SecretString, or to a Buffer for a SecretBinary secret.
 */
export async function startSecretsManagerWire(secrets: ReadonlyMap<string, string | Buffer>): Promise<SecretsManagerWire> {
  const reads: string[] = []
  const server = await startWireServer((req) => {
    if (req.method !== 'POST' || req.target !== 'secretsmanager.GetSecretValue') {
      return awsJsonError('UnknownOperationException', `unsupported ${req.method} ${req.target ?? '(no target)'}`)
    }
    const { SecretId } = req.json() as { SecretId: string }
    reads.push(SecretId)
    const value = secrets.get(SecretId)
    if (value === undefined) return awsJsonError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.")
    return {
      body: {
        ARN: SecretId,
        Name: SecretId.split(':')
          .pop()
          ?.replace(/-[A-Za-z0-9]{6}$/, ''),
        VersionId: 'a9f1c2d3-0000-4000-8000-000000000001',
        ...(Buffer.isBuffer(value) ? { SecretBinary: value.toString('base64') } : { SecretString: value }),
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1_790_000_000.123,
      },
    }
  })
  return { server, reads, close: () => server.close() }
}
