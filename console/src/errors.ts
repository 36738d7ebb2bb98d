/** Stable codes of the console's errors; callers branch on `code`, never on the message. */
export type ConsoleErrorCode =
  | 'CONSOLE_CONFIG_INVALID'
  | 'CONSOLE_PORT_IN_USE'
  | 'CONSOLE_ASSETS_MISSING'
  | 'CONSOLE_QUERY_INVALID'
  | 'CONSOLE_NOT_FOUND'
  | 'CONSOLE_UNAUTHORIZED'
  | 'CONSOLE_SOURCE_UNAVAILABLE'

/** HTTP status each code answers with at the API boundary. */
export const CONSOLE_ERROR_STATUS: Readonly<Record<ConsoleErrorCode, number>> = {
  CONSOLE_CONFIG_INVALID: 500,
  CONSOLE_PORT_IN_USE: 500,
  CONSOLE_ASSETS_MISSING: 500,
  CONSOLE_QUERY_INVALID: 400,
  CONSOLE_NOT_FOUND: 404,
  CONSOLE_UNAUTHORIZED: 401,
  CONSOLE_SOURCE_UNAVAILABLE: 503,
}

export class ConsoleError extends Error {
  readonly code: ConsoleErrorCode
  constructor(code: ConsoleErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ConsoleError'
    this.code = code
  }
}

export function isConsoleError(err: unknown, code?: ConsoleErrorCode): err is ConsoleError {
  return err instanceof ConsoleError && (code === undefined || err.code === code)
}
