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

/**
 * The only place the dispatch server reads the environment: the config file (JSON, optional) and the tokens.
 * `overrides` (CLI flags) are applied on top of the file before validation.
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
  const config = parseDispatchConfig({ ...fromFile, ...options.overrides })
  const raw = env[config.auth.tokenEnv] ?? ''
  const bearerTokens = raw
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0)
  return { config, bearerTokens }
}
