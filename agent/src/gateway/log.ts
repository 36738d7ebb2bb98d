import type { Logger } from 'pino'

/**
 * Paths pino removes from every gateway log line. A child's `redact` replaces its parent's (pino API, child
 * options.redact), so the list covers the generic secret names as well as the gateway's own.
 */
export const GATEWAY_REDACT_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'connectionString',
  '*.connectionString',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'key',
  '*.key',
  'privateKey',
  '*.privateKey',
  'headers.authorization',
  '*.headers.authorization',
]

export function gatewayLogger(parent: Logger, bindings: Record<string, unknown> = {}): Logger {
  return parent.child({ component: 'gateway', ...bindings }, { redact: { paths: GATEWAY_REDACT_PATHS, censor: '[Redacted]' } })
}
