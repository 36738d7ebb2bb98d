import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs'
import type { SecretRef } from '@edgetwin/shared-schemas'
import { GatewayError } from './errors.js'

export interface SecretSources {
  /** The process environment; the secrets loader is the one place that reads it. */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** The agent's user id; files owned by anyone else are refused. @default process.getuid() */
  readonly uid?: number
}

const GROUP_OTHER_BITS = 0o077

/**
 * Reads one credential from the environment or from a secrets file. A file must be a regular file owned by the
 * agent's user with no group or other permission bits (0600 or 0400), the rule ssh and libpq apply to private
 * key and password files. The value is never part of an error message or a log line.
 */
export function loadSecret(ref: SecretRef, what: string, sources: SecretSources = {}): string {
  if (ref.env !== undefined) {
    const env = sources.env ?? process.env
    const value = env[ref.env]
    if (value === undefined || value === '') {
      throw new GatewayError('AGENT_GATEWAY_SECRET', `${what}: environment variable ${ref.env} is not set or empty`)
    }
    return value
  }
  if (ref.file !== undefined) return readSecretFile(ref.file, what, sources.uid ?? process.getuid?.())
  throw new GatewayError('AGENT_GATEWAY_SECRET', `${what}: a secret reference needs 'env' or 'file'`)
}

function readSecretFile(path: string, what: string, uid: number | undefined): string {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new GatewayError('AGENT_GATEWAY_SECRET', `${what}: cannot open secrets file ${path} (${code})`, { cause: err })
  }
  try {
    // fstat on the opened descriptor: the checks apply to exactly the file that is read.
    const st = fstatSync(fd)
    if (!st.isFile()) throw new GatewayError('AGENT_GATEWAY_SECRET', `${what}: secrets file ${path} is not a regular file`)
    if ((st.mode & GROUP_OTHER_BITS) !== 0) {
      const mode = (st.mode & 0o777).toString(8).padStart(4, '0')
      throw new GatewayError(
        'AGENT_GATEWAY_SECRET_PERMISSIONS',
        `${what}: secrets file ${path} has mode ${mode}; it must be readable by the agent alone (chmod 600 ${path})`,
      )
    }
    if (uid !== undefined && st.uid !== uid) {
      throw new GatewayError(
        'AGENT_GATEWAY_SECRET_PERMISSIONS',
        `${what}: secrets file ${path} is owned by uid ${st.uid}, not by the agent's user (uid ${uid})`,
      )
    }
    const value = readFileSync(fd, 'utf8').replace(/\r?\n$/, '')
    if (value === '') throw new GatewayError('AGENT_GATEWAY_SECRET', `${what}: secrets file ${path} is empty`)
    return value
  } finally {
    closeSync(fd)
  }
}
