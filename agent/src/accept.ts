import { type FieldError, recordValidators, STREAMS, type StreamName } from '@edgetwin/shared-schemas'
import { AgentError } from './errors.js'

/**
 * `{ seq }` once committed; `{ seq: null, filtered }` when the vehicle profile's filter dropped the record, or when
 * a gateway's data-residency policy keeps it on site (`residency`).
 */
export type AcceptResult = { readonly seq: number } | { readonly seq: null; readonly filtered: 'distance' | 'interval' | 'residency' }

/** One record's outcome in `acceptMany`: as `accept`'s, or the coded error that refused it at commit. */
export type AcceptManyResult = AcceptResult | { readonly seq: null; readonly error: AgentError }

export interface EncodedRecord {
  readonly stream: StreamName
  /** The record's JSON text: exactly what is stored and sent. */
  readonly data: string
  readonly bytes: number
  /** `data` parsed back: the form that was validated (never the caller's object, which may differ from it). */
  readonly value: unknown
}

function describe(errors: readonly FieldError[]): string {
  return errors
    .slice(0, 5)
    .map((e) => `${e.path || '(root)'}: ${e.message}`)
    .join('; ')
}

/** Throws AGENT_UNKNOWN_STREAM unless `stream` is one of the shared STREAMS. */
export function checkStream(stream: unknown): StreamName {
  if (typeof stream !== 'string' || !(STREAMS as readonly string[]).includes(stream)) {
    throw new AgentError('AGENT_UNKNOWN_STREAM', `stream '${String(stream).slice(0, 64)}' is not one of ${STREAMS.join(', ')}`)
  }
  return stream as StreamName
}

/**
 * Serialises `record` once, then validates the parsed serialisation against its stream's shared schema, so what
 * is stored is what was validated: a `toJSON` method, a getter or a Proxy cannot make the stored text differ from
 * the checked value. Throws AGENT_UNKNOWN_STREAM, AGENT_INVALID_RECORD (naming the fields, or why the value
 * cannot be serialised) or AGENT_RECORD_TOO_LARGE (a record that could never be sent).
 */
export function encodeRecord(stream: unknown, record: unknown, maxRecordBytes: number): EncodedRecord {
  const s = checkStream(stream)
  const data = serialise(s, record)
  // The exact UTF-8 size: Buffer.byteLength is ~6x cheaper than scanning for non-ASCII text first (0.03 vs 0.18 us
  // for a 250-byte record, 0.07 vs 1.4 us for 2 KB).
  const bytes = Buffer.byteLength(data)
  if (bytes > maxRecordBytes) {
    throw new AgentError('AGENT_RECORD_TOO_LARGE', `${s} record of ${bytes} bytes exceeds the limit of ${maxRecordBytes} bytes`)
  }
  const value: unknown = JSON.parse(data)
  const validator = recordValidators[s]
  if (!validator.check(value)) {
    throw new AgentError('AGENT_INVALID_RECORD', `invalid ${s} record: ${describe(validator.errors(value))}`)
  }
  return { stream: s, data, bytes, value }
}

/** The record's JSON form as a plain value (for checks that must not touch the caller's object, e.g. residency). */
export function plainValue(stream: StreamName, record: unknown): unknown {
  return JSON.parse(serialise(stream, record))
}

function serialise(stream: StreamName, record: unknown): string {
  let data: string | undefined
  try {
    data = JSON.stringify(record)
  } catch (err) {
    // A throwing getter or toJSON, a throwing or revoked Proxy, a cycle, a BigInt: the caller's bug, coded.
    const why = String((err as Error)?.message ?? err).slice(0, 200)
    throw new AgentError('AGENT_INVALID_RECORD', `invalid ${stream} record: it cannot be serialised as JSON (${why})`, { cause: err })
  }
  if (typeof data !== 'string') {
    throw new AgentError('AGENT_INVALID_RECORD', `invalid ${stream} record: a ${typeof record} has no JSON form; an object is required`)
  }
  return data
}

/**
 * Encodes every record of an `acceptMany` call (as `encodeRecord` does each) before anything is stored: one that
 * fails makes the whole call fail with its code, the message naming its index, so a caller can fix the input and
 * send it again without duplicating the others.
 */
export function encodeRecords(stream: unknown, records: unknown, maxRecordBytes: number): EncodedRecord[] {
  const s = checkStream(stream) // also for an empty call: an unknown stream is refused either way
  if (!Array.isArray(records)) {
    throw new AgentError('AGENT_INVALID_RECORD', `acceptMany takes an array of records, not ${records === null ? 'null' : typeof records}`)
  }
  const out = new Array<EncodedRecord>(records.length)
  for (let i = 0; i < records.length; i++) {
    try {
      out[i] = encodeRecord(s, records[i], maxRecordBytes)
    } catch (err) {
      const e = err as AgentError
      throw new AgentError(e.code, `records[${i}]: ${e.message}`, { cause: e })
    }
  }
  return out
}
