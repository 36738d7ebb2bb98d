import { type FieldError, recordValidators, STREAMS, type StreamName } from '@edgetwin/shared-schemas'
import { AgentError } from './errors.js'

/**
 * `{ seq }` once committed; `{ seq: null, filtered }` when the vehicle profile's filter dropped the record, or when
 * a gateway's data-residency policy keeps it on site (`residency`).
 */
export type AcceptResult = { readonly seq: number } | { readonly seq: null; readonly filtered: 'distance' | 'interval' | 'residency' }

export interface EncodedRecord {
  readonly stream: StreamName
  readonly data: string
  readonly bytes: number
}

function describe(errors: readonly FieldError[]): string {
  return errors
    .slice(0, 5)
    .map((e) => `${e.path || '(root)'}: ${e.message}`)
    .join('; ')
}

/**
 * Validates `record` against its stream's shared schema and serialises it. Throws AGENT_UNKNOWN_STREAM,
 * AGENT_INVALID_RECORD (naming the fields) or AGENT_RECORD_TOO_LARGE (a record that could never be sent).
 */
export function encodeRecord(stream: unknown, record: unknown, maxRecordBytes: number): EncodedRecord {
  if (typeof stream !== 'string' || !(STREAMS as readonly string[]).includes(stream)) {
    throw new AgentError('AGENT_UNKNOWN_STREAM', `stream '${String(stream).slice(0, 64)}' is not one of ${STREAMS.join(', ')}`)
  }
  const s = stream as StreamName
  const validator = recordValidators[s]
  if (!validator.check(record)) {
    throw new AgentError('AGENT_INVALID_RECORD', `invalid ${s} record: ${describe(validator.errors(record))}`)
  }
  const data = JSON.stringify(record)
  // Records are JSON; only non-ASCII text needs the slower exact byte count.
  const bytes = /[^\x00-\x7f]/.test(data) ? Buffer.byteLength(data) : data.length
  if (bytes > maxRecordBytes) {
    throw new AgentError('AGENT_RECORD_TOO_LARGE', `${s} record of ${bytes} bytes exceeds the limit of ${maxRecordBytes} bytes`)
  }
  return { stream: s, data, bytes }
}
