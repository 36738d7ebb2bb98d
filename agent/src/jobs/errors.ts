import { AgentError } from '../errors.js'

/** Stable codes of the jobs client and the controller store; callers branch on `code`. */
export type JobsErrorCode =
  | 'AGENT_JOBS_REQUEST_TIMEOUT'
  | 'AGENT_JOBS_REJECTED'
  | 'AGENT_JOBS_CLOSED'
  | 'AGENT_JOBS_CONFIG'
  | 'AGENT_CONTROLLER_STORE'
  | 'AGENT_CONTROLLER_AUDIT_APPEND_ONLY'

/** An AgentError of the jobs client and the controller store (so `isAgentError` also matches it). */
export class JobsError extends AgentError {
  declare readonly code: JobsErrorCode
  constructor(code: JobsErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options)
    this.name = 'JobsError'
  }
}
