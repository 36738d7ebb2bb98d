/** Stable codes of the turbine model's errors; callers branch on `code`. */
export type ModelErrorCode =
  | 'MODEL_INVALID_OPTIONS'
  | 'MODEL_INVALID_DATA'
  | 'MODEL_OUT_FILE_MALFORMED'
  | 'MODEL_ABORTED'
  /** A calibration file that fails its schema or whose id does not match its content. */
  | 'MODEL_INVALID_CALIBRATION'
  /** OpenFAST output that cannot be calibrated against: a channel missing, not steady, too few points. */
  | 'MODEL_CALIBRATION_DATA'

export class ModelError extends Error {
  readonly code: ModelErrorCode
  constructor(code: ModelErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ModelError'
    this.code = code
  }
}

/** Throws MODEL_INVALID_OPTIONS unless `value` is a finite number within [min, max]. */
export function requireFinite(name: string, value: number, min = Number.NEGATIVE_INFINITY, max = Number.POSITIVE_INFINITY): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new ModelError('MODEL_INVALID_OPTIONS', `${name} must be a finite number in [${min}, ${max}], got ${String(value)}`)
  }
  return value
}
