import { parseLambdaEnv, type TSchema, type Validator } from '@edgetwin/shared-schemas'
import { Token } from 'aws-cdk-lib'
import { InfraError } from './errors.js'

/**
 * Variables the Lambda runtime sets itself; a function configuration that sets one is refused at deploy
 * (Lambda developer guide, "Defined runtime environment variables": reserved keys).
 */
export const LAMBDA_RESERVED_ENV = [
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
] as const

export interface LambdaEnvOptions {
  /**
   * For variables whose value CloudFormation resolves at deploy time (a `Ref`, a `GetAtt`), a value of the shape
   * that attribute is documented to have, used only to check the schema's pattern at synth. A key listed here whose
   * value is already resolved is checked as it is. @default {}
   */
  readonly deployTimeShapes?: Readonly<Record<string, string>>
  /** Variables Lambda sets itself that the schema requires, with a stand-in; they are not put in the result. @default {} */
  readonly setByLambda?: Readonly<Record<string, string>>
}

/**
 * The environment of one function, checked here against the schema its handler parses at cold start, so a
 * missing or malformed variable fails the synth instead of the first invocation. The result holds what the caller
 * gave (tokens included) plus the schema's defaults, all as strings; nothing Lambda reserves.
 */
export function lambdaEnvironment<T extends TSchema>(
  where: string,
  validator: Validator<T>,
  settings: Readonly<Record<string, string | number | undefined>>,
  options: LambdaEnvOptions = {},
): Record<string, string> {
  const given: Record<string, string> = {}
  for (const [key, value] of Object.entries(settings)) if (value !== undefined) given[key] = String(value)
  const reserved = Object.keys(given).filter((k) => (LAMBDA_RESERVED_ENV as readonly string[]).includes(k))
  if (reserved.length > 0) {
    throw new InfraError('INFRA_INVALID_PROP', `${where}: environment must not set Lambda's reserved ${reserved.join(', ')}`)
  }
  const view: Record<string, string> = { ...options.setByLambda, ...given }
  for (const [key, shape] of Object.entries(options.deployTimeShapes ?? {})) {
    if (given[key] !== undefined && Token.isUnresolved(given[key])) view[key] = shape
  }
  let parsed: Readonly<Record<string, unknown>>
  try {
    parsed = parseLambdaEnv(validator, view) as Readonly<Record<string, unknown>>
  } catch (err) {
    throw new InfraError('INFRA_INVALID_PROP', `${where}: environment: ${(err as Error).message}`, { cause: err })
  }
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(parsed)) {
    if (value === undefined || key in (options.setByLambda ?? {})) continue
    out[key] = given[key] ?? String(value)
  }
  return out
}
