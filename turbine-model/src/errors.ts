/** Stable codes of the turbine model's errors; callers branch on `code`. */
export type ModelErrorCode = 'MODEL_INVALID_OPTIONS' | 'MODEL_INVALID_DATA' | 'MODEL_OUT_FILE_MALFORMED' | 'MODEL_ABORTED'

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
