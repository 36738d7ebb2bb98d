import { AgentError } from '../errors.js'

/** Stable codes of the gateway profile's failures; callers branch on `code`. */
export type GatewayErrorCode =
  | 'AGENT_GATEWAY_CONFIG'
  | 'AGENT_GATEWAY_SECRET'
  | 'AGENT_GATEWAY_SECRET_PERMISSIONS'
  | 'AGENT_GATEWAY_DB_UNAVAILABLE'
  | 'AGENT_GATEWAY_DB_AUTH'
  | 'AGENT_GATEWAY_QUERY_FAILED'
  | 'AGENT_GATEWAY_CHECKPOINT'

/** An AgentError of the gateway profile (so `isAgentError` also matches it). */
export class GatewayError extends AgentError {
  declare readonly code: GatewayErrorCode
  constructor(code: GatewayErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options)
    this.name = 'GatewayError'
  }
}

export function isGatewayError(err: unknown, ...codes: GatewayErrorCode[]): err is GatewayError {
  return err instanceof GatewayError && (codes.length === 0 || codes.includes(err.code))
}
