import pino, { type Logger } from 'pino'

/** Paths pino must never print: broker password, TLS keys, tokens. */
export const REDACT_PATHS = ['password', '*.password', 'key', '*.key', 'broker.passwordEnv', 'tls.key', '*.token', 'authorization']

/** The agent's default logger (JSON to stderr, secrets redacted). */
export function createAgentLogger(level: string, deviceId: string): Logger {
  return pino({ level, base: { deviceId }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, pino.destination(2))
}
