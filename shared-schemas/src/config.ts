import type { Static, TSchema } from 'typebox'
import { Value } from 'typebox/value'
import type { Validator } from './validate.js'

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child)
    Object.freeze(value)
  }
  return value
}

/**
 * Validates a configuration document once at start: fills the schema's defaults, rejects unknown
 * fields and bad values with a SchemaError naming each field, and freezes the result.
 */
export function parseConfig<T extends TSchema>(validator: Validator<T>, input: unknown): Readonly<Static<T>> {
  const withDefaults = Value.Default(validator.schema, structuredClone(input))
  return deepFreeze(validator.parse(withDefaults))
}
