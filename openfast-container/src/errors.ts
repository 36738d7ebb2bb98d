/** Stable codes of the dispatch server; HTTP answers carry the code, callers branch on it. */
export type DispatchErrorCode =
  | 'DISPATCH_UNAUTHORIZED'
  | 'DISPATCH_NOT_FOUND'
  | 'DISPATCH_QUEUE_FULL'
  | 'DISPATCH_INVALID_REQUEST'
  | 'DISPATCH_UNSAFE_PATH'
  | 'DISPATCH_DECK_INVALID'
  | 'DISPATCH_DECK_FIELD_MISSING'
  | 'DISPATCH_NOT_FINISHED'
  | 'DISPATCH_PAYLOAD_TOO_LARGE'
  | 'DISPATCH_OUTPUT_TOO_LARGE'
  | 'DISPATCH_ENGINE_FAILED'
  | 'DISPATCH_ENGINE_TIMEOUT'
  | 'DISPATCH_ENGINE_NOT_FOUND'
  | 'DISPATCH_CANCELED'
  | 'DISPATCH_CONFIG_INVALID'
  | 'DISPATCH_CLOSED'
  | 'DISPATCH_RATE_LIMITED'
  | 'DISPATCH_INTERNAL'

const STATUS: Record<DispatchErrorCode, number> = {
  DISPATCH_UNAUTHORIZED: 401,
  DISPATCH_NOT_FOUND: 404,
  DISPATCH_QUEUE_FULL: 429,
  DISPATCH_INVALID_REQUEST: 400,
  DISPATCH_UNSAFE_PATH: 400,
  DISPATCH_DECK_INVALID: 400,
  DISPATCH_DECK_FIELD_MISSING: 400,
  DISPATCH_NOT_FINISHED: 409,
  DISPATCH_PAYLOAD_TOO_LARGE: 413,
  DISPATCH_OUTPUT_TOO_LARGE: 400,
  DISPATCH_ENGINE_FAILED: 500,
  DISPATCH_ENGINE_TIMEOUT: 500,
  DISPATCH_ENGINE_NOT_FOUND: 500,
  DISPATCH_CANCELED: 409,
  DISPATCH_CONFIG_INVALID: 500,
  DISPATCH_CLOSED: 503,
  DISPATCH_RATE_LIMITED: 429,
  DISPATCH_INTERNAL: 500,
}

export class DispatchError extends Error {
  readonly code: DispatchErrorCode
  /** The HTTP status this error maps to at the REST boundary. */
  readonly statusCode: number
  /** Seconds a refused caller should wait before asking again: sent as `Retry-After` (429/503). */
  readonly retryAfterS?: number
  constructor(code: DispatchErrorCode, message: string, options?: ErrorOptions & { retryAfterS?: number }) {
    super(message, options)
    this.name = 'DispatchError'
    this.code = code
    this.statusCode = STATUS[code]
    if (options?.retryAfterS !== undefined) this.retryAfterS = options.retryAfterS
  }
}

export function isDispatchError(err: unknown): err is DispatchError {
  return err instanceof DispatchError
}
