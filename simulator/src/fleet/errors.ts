/** Stable codes of the simulator's errors. */
export type SimErrorCode = 'SIM_FLEET_FILE_INVALID' | 'SIM_OPTIONS_INVALID' | 'SIM_AGENT_FAILED'

export class SimError extends Error {
  readonly code: SimErrorCode
  constructor(code: SimErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'SimError'
    this.code = code
  }
}
