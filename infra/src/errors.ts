/** Stable codes for everything the CDK app rejects at construction time. Callers (and tests) branch on `code`. */
export type InfraErrorCode =
  | 'INFRA_INVALID_PROP'
  | 'INFRA_ZONE_INVALID'
  | 'INFRA_CONTEXT_INVALID'
  | 'INFRA_QUERY_INVALID'
  | 'INFRA_INPUT_MISSING'

export class InfraError extends Error {
  readonly code: InfraErrorCode
  constructor(code: InfraErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'InfraError'
    this.code = code
  }
}
