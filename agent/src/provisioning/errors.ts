import { AgentError } from '../errors.js'

/** Stable codes of fleet provisioning by claim. */
export type ProvisioningErrorCode =
  | 'AGENT_PROVISIONING_CONNECT'
  | 'AGENT_PROVISIONING_REJECTED'
  | 'AGENT_PROVISIONING_TIMEOUT'
  | 'AGENT_PROVISIONING_FILES'

/** An AgentError of provisioning (so `isAgentError` also matches it). */
export class ProvisioningError extends AgentError {
  declare readonly code: ProvisioningErrorCode
  constructor(code: ProvisioningErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options)
    this.name = 'ProvisioningError'
  }
}
