import type { Static, TSchema } from 'typebox'
import { Compile } from 'typebox/compile'
import { type FieldError, SchemaError } from './errors.js'
import { ISO_TIMESTAMP_PATTERN, isoTimestampProblem } from './ids.js'

/** A compiled validator for one schema: `check` is the fast path, `parse` throws a SchemaError naming each field. */
export interface Validator<T extends TSchema> {
  readonly schema: T
  check(value: unknown): value is Static<T>
  errors(value: unknown): FieldError[]
  /** Returns the value typed, or throws `SchemaError` (`SCHEMA_INVALID`) whose message names the fields. */
  parse(value: unknown): Static<T>
}

const MAX_REPORTED_ERRORS = 10

/** The value a JSON pointer names inside `root` (for messages that quote the offending value). */
function valueAt(root: unknown, pointer: string): unknown {
  let v = root
  for (const raw of pointer.split('/').slice(1)) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<string, unknown>)[raw.replaceAll('~1', '/').replaceAll('~0', '~')]
  }
  return v
}

/** A timestamp field failed its pattern or its date-time format: say which part of it is impossible. */
function timestampError(error: { instancePath: string; keyword: string; params: unknown }, root: unknown): FieldError | undefined {
  const params = error.params as { format?: string; pattern?: string }
  const isTimestamp =
    (error.keyword === 'format' && params.format === 'date-time') ||
    (error.keyword === 'pattern' && params.pattern === ISO_TIMESTAMP_PATTERN)
  if (!isTimestamp) return undefined
  const value = valueAt(root, error.instancePath)
  const problem = typeof value === 'string' ? isoTimestampProblem(value) : undefined
  return {
    path: error.instancePath,
    message: `'${String(value).slice(0, 40)}' is not a real UTC time YYYY-MM-DDThh:mm:ss[.fff]Z${problem ? `: ${problem}` : ''}`,
  }
}

function describe(error: { instancePath: string; message: string; keyword: string; params: unknown }, root: unknown): FieldError {
  const timestamp = timestampError(error, root)
  if (timestamp) return timestamp
  let path = error.instancePath
  // additionalProperties errors point at the parent; name the unknown key itself.
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperties?: string[] }).additionalProperties
    if (extra && extra.length > 0) path = `${path}/${extra.join(',')}`
    return { path, message: `unknown field ${extra?.map((k) => `'${k}'`).join(', ') ?? ''}`.trim() }
  }
  if (error.keyword === 'required') {
    const missing = (error.params as { requiredProperties?: string[] }).requiredProperties
    if (missing && missing.length > 0) return { path: `${path}/${missing.join(',')}`, message: 'is required' }
  }
  if (error.keyword === 'enum') {
    const allowed = (error.params as { allowedValues?: unknown[] }).allowedValues
    if (allowed) return { path, message: `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}` }
  }
  return { path, message: error.message }
}

/**
 * A validator for `schema`, compiled once on first use (every boundary: messages, job documents, REST bodies,
 * config files). Compiling lazily keeps a device agent from paying for the cloud's schemas it never checks.
 */
export function createValidator<T extends TSchema>(schema: T, name = (schema as { $id?: string }).$id ?? 'value'): Validator<T> {
  type Compiled = { Check(value: unknown): boolean; Errors(value: unknown): Iterable<unknown> }
  let compiled: Compiled | undefined
  const get = (): Compiled => {
    compiled ??= Compile(schema) as unknown as Compiled
    return compiled
  }
  const errors = (value: unknown): FieldError[] => {
    const out: FieldError[] = []
    for (const e of get().Errors(value) as Iterable<{ instancePath: string; message: string; keyword: string; params: unknown }>) {
      // 'schema is false' is the per-key twin of an additionalProperties error; keep the one that names the key.
      if (e.keyword === 'boolean') continue
      const described = describe(e, value)
      // A bad timestamp fails both its pattern and its format; one message for it is enough.
      if (out.some((o) => o.path === described.path && o.message === described.message)) continue
      out.push(described)
      if (out.length >= MAX_REPORTED_ERRORS) break
    }
    return out
  }
  return {
    schema,
    check: (value: unknown): value is Static<T> => get().Check(value),
    errors,
    parse(value: unknown): Static<T> {
      if (get().Check(value)) return value as Static<T>
      const found = errors(value)
      const summary = found.map((e) => `${e.path || '(root)'}: ${e.message}`).join('; ')
      throw new SchemaError('SCHEMA_INVALID', `invalid ${name}: ${summary}`, found)
    },
  }
}
