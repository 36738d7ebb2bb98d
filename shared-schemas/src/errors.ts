/** Stable error codes for everything that crosses a process boundary. Callers branch on `code`. */
export type SchemaErrorCode = 'SCHEMA_INVALID' | 'ENVELOPE_MALFORMED' | 'ENVELOPE_TOO_LARGE' | 'ENVELOPE_INFLATE_LIMIT' | 'TOPIC_INVALID'

export interface FieldError {
  /** JSON pointer of the offending field, `/records/3/lat`; empty for the document itself. */
  readonly path: string
  readonly message: string
}

export class SchemaError extends Error {
  readonly code: SchemaErrorCode
  readonly errors: readonly FieldError[]
  constructor(code: SchemaErrorCode, message: string, errors: readonly FieldError[] = [], options?: ErrorOptions) {
    super(message, options)
    this.name = 'SchemaError'
    this.code = code
    this.errors = errors
  }
}
