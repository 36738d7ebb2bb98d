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
/** Raw errors read before folding: a union of N literals yields N + 1 of them for one bad field. */
const MAX_RAW_ERRORS = 100

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

interface RawError {
  readonly instancePath: string
  readonly schemaPath: string
  readonly message: string
  readonly keyword: string
  readonly params: unknown
}

/** Keywords whose message is about the value itself: the message quotes what was given. */
const QUOTES_VALUE = new Set(['const', 'enum', 'anyOf', 'type', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'])
const QUOTES_STRING = new Set(['minLength', 'maxLength', 'pattern', 'format'])

/** `, got "truck"`: the offending value, short; nothing when there is no value (a missing field). */
function given(error: RawError, root: unknown): string {
  const value = valueAt(root, error.instancePath)
  if (value === undefined) return ''
  if (!QUOTES_VALUE.has(error.keyword) && !(QUOTES_STRING.has(error.keyword) && typeof value === 'string')) return ''
  const text = JSON.stringify(value) ?? String(value)
  return `, got ${text.length > 60 ? `${text.slice(0, 57)}…` : text}`
}

/**
 * A union of literals (`Type.Union([Type.Literal('a'), …])`, an `anyOf` of `const`) that failed: one error per
 * branch plus one for the `anyOf`. Returns the allowed values when every branch error at `union` is a `const`.
 */
function literalUnion(union: RawError, raw: readonly RawError[]): unknown[] | undefined {
  const branches = raw.filter((e) => e.schemaPath.startsWith(`${union.schemaPath}/anyOf/`))
  if (branches.length === 0 || !branches.every((e) => e.keyword === 'const' && e.instancePath === union.instancePath)) return undefined
  return branches.map((e) => (e.params as { allowedValue?: unknown }).allowedValue)
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
    const raw: RawError[] = []
    for (const e of get().Errors(value) as Iterable<RawError>) {
      // 'schema is false' is the per-key twin of an additionalProperties error; keep the one that names the key.
      if (e.keyword !== 'boolean') raw.push(e)
      if (raw.length >= MAX_RAW_ERRORS) break
    }
    // A failed union of literals is said once, with every allowed value, instead of once per branch.
    const folded = new Set<RawError>()
    const unions = new Map<RawError, unknown[]>()
    for (const e of raw) {
      const allowed = e.keyword === 'anyOf' ? literalUnion(e, raw) : undefined
      if (!allowed) continue
      unions.set(e, allowed)
      for (const b of raw)
        if (b.keyword === 'const' && b.instancePath === e.instancePath && b.schemaPath.startsWith(`${e.schemaPath}/anyOf/`)) folded.add(b)
    }
    for (const e of raw) {
      if (folded.has(e)) continue
      const allowed = unions.get(e)
      const base = allowed
        ? { path: e.instancePath, message: `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}` }
        : describe(e, value)
      const described = base.message.includes(' is not a real UTC time') ? base : { ...base, message: `${base.message}${given(e, value)}` }
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
