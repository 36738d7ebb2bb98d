import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { CloudError } from '../errors.js'

/** Reads one secret's `SecretString` by ARN (or name). */
export type SecretReader = (secretId: string) => Promise<string>

/**
 * A secret either given as a value (local runs) or named by its Secrets Manager ARN (Lambda: a secret must not sit
 * in a function's environment, where the console and `GetFunctionConfiguration` show it).
 */
export type SecretSource = { readonly value: string } | { readonly secretArn: string }

/**
 * `SecretsManager.GetSecretValue` of the current version (AWSCURRENT). A secret stored as `SecretBinary` is refused:
 * every secret these functions read is text (a token, or the JSON Timestream for InfluxDB writes).
 */
export function createSecretsManagerReader(client: SecretsManagerClient): SecretReader {
  return async (secretId) => {
    let secretString: string | undefined
    try {
      secretString = (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString
    } catch (err) {
      const e = err as Error
      throw new CloudError('CLOUD_SECRET_UNREADABLE', `GetSecretValue of ${secretId} failed: ${e.name}: ${e.message}`, { cause: err })
    }
    if (typeof secretString !== 'string' || secretString.length === 0) {
      throw new CloudError('CLOUD_SECRET_UNREADABLE', `secret ${secretId} has no SecretString (SecretBinary is not supported)`)
    }
    return secretString
  }
}

/**
 * Exactly one of `valueVar` and `arnVar` when `required`, at most one otherwise: two sources of one credential
 * would leave which one wins to whoever reads the code.
 */
export function secretSource(
  valueVar: string,
  value: string | undefined,
  arnVar: string,
  secretArn: string | undefined,
  required: true,
): SecretSource
export function secretSource(
  valueVar: string,
  value: string | undefined,
  arnVar: string,
  secretArn: string | undefined,
  required: boolean,
): SecretSource | undefined
export function secretSource(
  valueVar: string,
  value: string | undefined,
  arnVar: string,
  secretArn: string | undefined,
  required: boolean,
): SecretSource | undefined {
  if (value !== undefined && secretArn !== undefined) {
    throw new CloudError('CLOUD_CONFIG_INVALID', `set exactly one of ${valueVar} and ${arnVar}; received both`)
  }
  if (value !== undefined) return { value }
  if (secretArn !== undefined) return { secretArn }
  if (required) throw new CloudError('CLOUD_CONFIG_INVALID', `set exactly one of ${valueVar} and ${arnVar}; received neither`)
  return undefined
}

/**
 * Runs `load` on first call and keeps its result for the life of the execution environment; a failed load is not
 * kept, so the next invocation tries again instead of failing until Lambda recycles the environment.
 */
export function onceSucceeded<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined
  return () => {
    pending ??= load().catch((err: unknown) => {
      pending = undefined
      throw err
    })
    return pending
  }
}

/** InfluxDB credentials: an API token, or a username and password (HTTP Basic on the 1.x API). */
export type InfluxCredentials = { readonly token: string } | { readonly username: string; readonly password: string }

/**
 * InfluxDB credentials from a secret's text. Timestream for InfluxDB's own auth secret
 * (`InfluxAuthParametersSecretArn`) is JSON with `username`, `password`, `organization` and `bucket`; an operator
 * may add a `token` key (an all-access API token), which is then preferred, since InfluxDB 2.x accepts a 2.x
 * user's password on no HTTP write or InfluxQL endpoint (InfluxData, "InfluxDB 1.x compatibility API":
 * authentication). Any other text is the token itself.
 */
export function influxCredentialsFrom(secretId: string, secretString: string): InfluxCredentials {
  const text = secretString.trim()
  if (!text.startsWith('{')) return { token: text }
  let parsed: Record<string, unknown>
  try {
    parsed = JSON.parse(text) as Record<string, unknown>
  } catch {
    // No cause: V8's SyntaxError quotes the text around the error, which is the secret.
    throw new CloudError('CLOUD_SECRET_INVALID', `secret ${secretId} starts with '{' but is not JSON`)
  }
  const { token, username, password } = parsed
  if (typeof token === 'string' && token.length > 0) return { token }
  if (typeof username === 'string' && username.length > 0 && typeof password === 'string' && password.length > 0) {
    return { username, password }
  }
  throw new CloudError(
    'CLOUD_SECRET_INVALID',
    `secret ${secretId} holds neither 'token' nor 'username' and 'password'; its keys are ${Object.keys(parsed).join(', ') || 'none'}`,
  )
}
