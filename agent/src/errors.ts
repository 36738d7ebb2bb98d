import type { GatewayErrorCode } from './gateway/errors.js'
import type { JobsErrorCode } from './jobs/errors.js'
import type { ProvisioningErrorCode } from './provisioning/errors.js'

/** Stable codes callers branch on; every agent failure carries one. */
export type AgentErrorCode =
  | 'AGENT_INVALID_CONFIG'
  | 'AGENT_INVALID_RECORD'
  | 'AGENT_UNKNOWN_STREAM'
  | 'AGENT_RECORD_TOO_LARGE'
  | 'AGENT_OUTBOX_FULL'
  | 'AGENT_DISK_FULL'
  | 'AGENT_IO_ERROR'
  | 'AGENT_DB_LOCKED'
  | 'AGENT_DB_ERROR'
  | 'AGENT_DB_CORRUPT'
  | 'AGENT_ROW_DAMAGED'
  | 'AGENT_OUTBOX_SALVAGED'
  | 'AGENT_MESSAGE_TOO_LARGE'
  | 'AGENT_CLOSED'
  | 'AGENT_NOT_STARTED'
  | 'AGENT_KEY_PERMISSIONS'
  | 'AGENT_TLS_FILE'
  | 'AGENT_SECRET_MISSING'
  | 'AGENT_MQTT_ERROR'
  | 'AGENT_PUBLISH_REFUSED'
  | 'AGENT_ACK_TIMEOUT'
  | 'AGENT_NOT_CONNECTED'
  | 'AGENT_SOURCE_ERROR'
  // The gateway profile's and the jobs client's codes (their classes extend AgentError).
  | GatewayErrorCode
  | JobsErrorCode
  | ProvisioningErrorCode

export class AgentError extends Error {
  readonly code: AgentErrorCode
  constructor(code: AgentErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'AgentError'
    this.code = code
  }
}

/** True for an AgentError with one of `codes` (any code when none is given). */
export function isAgentError(err: unknown, ...codes: AgentErrorCode[]): err is AgentError {
  return err instanceof AgentError && (codes.length === 0 || codes.includes(err.code))
}
