import { readFileSync } from 'node:fs'
import { type AgentConfig, parseConfig, SchemaError, validators } from '@edgetwin/shared-schemas'
import { AgentError } from '../errors.js'

/** Validates a config document (fills defaults, rejects unknown fields) and freezes it. */
export function parseAgentConfig(input: unknown): Readonly<AgentConfig> {
  try {
    return parseConfig(validators.AgentConfig, input)
  } catch (err) {
    if (err instanceof SchemaError) throw new AgentError('AGENT_INVALID_CONFIG', err.message, { cause: err })
    throw err
  }
}

/** Reads and validates an agent config file (JSON). */
export function loadAgentConfigFile(path: string): Readonly<AgentConfig> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new AgentError('AGENT_INVALID_CONFIG', `cannot read config file ${path}: ${(err as Error).message}`, { cause: err })
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new AgentError('AGENT_INVALID_CONFIG', `config file ${path} is not valid JSON: ${(err as Error).message}`, { cause: err })
  }
  return parseAgentConfig(json)
}

/**
 * Resolves secrets that the config names but never contains (the broker password's environment variable).
 * This and the CLI are the only places that read the environment.
 */
export function resolveBrokerPassword(config: AgentConfig, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const name = config.broker.passwordEnv
  if (!name) return undefined
  const value = env[name]
  if (value === undefined) throw new AgentError('AGENT_SECRET_MISSING', `environment variable ${name} (broker.passwordEnv) is not set`)
  return value
}
