/** Stable codes of the wind-farm simulator's errors. */
export type FarmErrorCode = 'SIM_FARM_INVALID_OPTIONS' | 'SIM_FARM_UNKNOWN_TURBINE' | 'SIM_FARM_STATE'

export class FarmError extends Error {
  readonly code: FarmErrorCode
  constructor(code: FarmErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'FarmError'
    this.code = code
  }
}
