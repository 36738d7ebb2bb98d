import { readFile } from 'node:fs/promises'
import { createValidator, DispatchConfig, parseConfig, SchemaError } from '@edgetwin/shared-schemas'
import { DispatchError } from './errors.js'

const validator = createValidator(DispatchConfig)

export interface LoadedDispatchConfig {
  readonly config: Readonly<DispatchConfig>
  /** Bearer tokens from the environment variable `auth.tokenEnv` (comma-separated, so a token can be rotated). */
  readonly bearerTokens: readonly string[]
}

/** Parses a config document (defaults filled, unknown fields refused, frozen). */
export function parseDispatchConfig(input: unknown): Readonly<DispatchConfig> {
  try {
    return parseConfig(validator, input ?? {})
  } catch (err) {
    if (err instanceof SchemaError) throw new DispatchError('DISPATCH_CONFIG_INVALID', err.message, { cause: err })
    throw err
  }
}

/** The object-store prefix the stack's post-processor listens under (S3 notification: prefix `results/`, suffix `.out`). */
export const RESULTS_PREFIX = 'results'

/**
 * What the deployed container's environment says (infra/src/constructs/twin.ts sets these on the Fargate task):
 * `EDGETWIN_RESULTS_BUCKET` puts results in that S3 bucket under `results/` — `POST /upload_to_s3` then writes
 * `results/<id>/simulation.out`, which is what the post-processor is notified of — in the region `AWS_REGION`
 * (else `AWS_DEFAULT_REGION`) names; `PORT` is the port to listen on. Settings of the file's `objectStore` that these
 * do not name (endpoint, forcePathStyle) are kept.
 */
function fromEnvironment(env: NodeJS.ProcessEnv, file: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const bucket = env['EDGETWIN_RESULTS_BUCKET']
  if (bucket) {
    const region = env['AWS_REGION'] || env['AWS_DEFAULT_REGION']
    out['objectStore'] = {
      ...(file['objectStore'] as Record<string, unknown> | undefined),
      adapter: 's3',
      bucket,
      prefix: RESULTS_PREFIX,
      ...(region ? { region } : {}),
    }
  }
  const port = env['PORT']
  if (port) {
    if (!/^[0-9]{1,5}$/.test(port))
      throw new DispatchError('DISPATCH_CONFIG_INVALID', `PORT must be a port number; received '${port.slice(0, 40)}'`)
    out['port'] = Number(port)
  }
  return out
}

/**
 * The only place the dispatch server reads the environment: the config file (JSON, optional), the deployment's
 * variables (fromEnvironment) and the tokens. Precedence: CLI flags (`overrides`) over the environment over the file;
 * the result is validated as a whole.
 */
export async function loadDispatchConfig(
  options: { file?: string; overrides?: Record<string, unknown>; env?: NodeJS.ProcessEnv } = {},
): Promise<LoadedDispatchConfig> {
  const env = options.env ?? process.env
  let fromFile: Record<string, unknown> = {}
  if (options.file) {
    try {
      fromFile = JSON.parse(await readFile(options.file, 'utf8'))
    } catch (err) {
      throw new DispatchError('DISPATCH_CONFIG_INVALID', `cannot read config file ${options.file}: ${(err as Error).message}`, {
        cause: err,
      })
    }
  }
  const config = parseDispatchConfig({ ...fromFile, ...fromEnvironment(env, fromFile), ...options.overrides })
  const raw = env[config.auth.tokenEnv] ?? ''
  const bearerTokens = raw
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0)
  return { config, bearerTokens }
}
