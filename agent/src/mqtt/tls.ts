import { readFileSync, statSync } from 'node:fs'
import type { TlsConfig } from '@edgetwin/shared-schemas'
import { AgentError } from '../errors.js'

export interface TlsMaterial {
  readonly ca: Buffer
  readonly cert?: Buffer
  readonly key?: Buffer
  readonly servername?: string
}

function read(path: string, what: string): Buffer {
  try {
    return readFileSync(path)
  } catch (err) {
    throw new AgentError('AGENT_TLS_FILE', `cannot read the TLS ${what} file ${path}: ${(err as Error).message}`, { cause: err })
  }
}

/**
 * Loads CA, certificate and key. Refuses a private key readable by group or others (mode & 0o077), as ssh does
 * for its identity files: a device certificate's key is the device's identity on AWS IoT Core.
 */
export function loadTlsMaterial(tls: TlsConfig): TlsMaterial {
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    throw new AgentError('AGENT_TLS_FILE', 'mutual TLS needs both broker.tls.certFile and broker.tls.keyFile (got only one)')
  }
  if (tls.keyFile) {
    let mode: number
    try {
      mode = statSync(tls.keyFile).mode
    } catch (err) {
      throw new AgentError('AGENT_TLS_FILE', `cannot read the TLS key file ${tls.keyFile}: ${(err as Error).message}`, { cause: err })
    }
    if ((mode & 0o077) !== 0) {
      throw new AgentError(
        'AGENT_KEY_PERMISSIONS',
        `private key ${tls.keyFile} has mode ${(mode & 0o777).toString(8)}; it must not be readable by group or others (chmod 600)`,
      )
    }
  }
  return {
    ca: read(tls.caFile, 'CA'),
    ...(tls.certFile ? { cert: read(tls.certFile, 'certificate') } : {}),
    ...(tls.keyFile ? { key: read(tls.keyFile, 'key') } : {}),
    ...(tls.serverName ? { servername: tls.serverName } : {}),
  }
}
