import { gunzipSync, gzipSync } from 'node:zlib'
import type { TSchema } from 'typebox'
import type { BatchEnvelope } from './envelope.js'
import { type FieldError, SchemaError } from './errors.js'
import type { Validator } from './validate.js'
import { recordValidators, validators } from './validators.js'

/** AWS IoT Core's maximum MQTT message size (AWS IoT Core quotas: 128 KB). */
export const DEFAULT_MAX_PAYLOAD_BYTES = 128 * 1024
export const DEFAULT_MAX_INFLATED_BYTES = 8 * 1024 * 1024

// RFC 1952 section 2.3.1: ID1 = 31, ID2 = 139.
const GZIP_MAGIC_0 = 0x1f
const GZIP_MAGIC_1 = 0x8b

export type Compression = 'gzip' | 'none'

export interface DecodeLimits {
  readonly maxPayloadBytes?: number
  readonly maxInflatedBytes?: number
}

export function isGzip(payload: Uint8Array): boolean {
  return payload.length >= 2 && payload[0] === GZIP_MAGIC_0 && payload[1] === GZIP_MAGIC_1
}

/** Serialises an envelope to JSON, gzip-compressed unless `compression` is `none`. */
export function encodeEnvelope(envelope: BatchEnvelope, compression: Compression = 'gzip'): Buffer {
  const json = Buffer.from(JSON.stringify(envelope))
  return compression === 'gzip' ? gzipSync(json, { level: 6 }) : json
}

/**
 * Decodes and validates one MQTT payload. Throws SchemaError with code ENVELOPE_TOO_LARGE,
 * ENVELOPE_INFLATE_LIMIT, ENVELOPE_MALFORMED or SCHEMA_INVALID (the last names the offending field).
 */
export function decodeEnvelope(payload: Uint8Array, limits: DecodeLimits = {}): BatchEnvelope {
  return decodeEnvelopeWithJson(payload, limits).envelope
}

/** A validated envelope and the JSON bytes it was parsed from (inflated when the payload was gzip). */
export interface DecodedEnvelope {
  readonly envelope: BatchEnvelope
  /** The UTF-8 JSON text the envelope was parsed from; a view of the payload when it was not compressed. */
  readonly json: Buffer
}

/**
 * `decodeEnvelope`, also returning the JSON bytes, so a consumer that stores records as JSON (the router's archive)
 * can copy the validated text instead of serialising the parsed values again. Same limits and errors.
 */
export function decodeEnvelopeWithJson(payload: Uint8Array, limits: DecodeLimits = {}): DecodedEnvelope {
  const maxPayloadBytes = limits.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES
  const maxInflatedBytes = limits.maxInflatedBytes ?? DEFAULT_MAX_INFLATED_BYTES
  if (payload.length > maxPayloadBytes) {
    throw new SchemaError('ENVELOPE_TOO_LARGE', `payload of ${payload.length} bytes exceeds the limit of ${maxPayloadBytes} bytes`)
  }
  let json: Buffer
  if (isGzip(payload)) {
    try {
      json = gunzipSync(payload, { maxOutputLength: maxInflatedBytes })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new SchemaError('ENVELOPE_INFLATE_LIMIT', `gzip payload inflates past the limit of ${maxInflatedBytes} bytes`, [], {
          cause: err,
        })
      }
      throw new SchemaError('ENVELOPE_MALFORMED', `gzip payload is corrupt: ${(err as Error).message}`, [], { cause: err })
    }
  } else {
    json = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)
  }
  let value: unknown
  try {
    value = JSON.parse(json.toString('utf8'))
  } catch (err) {
    throw new SchemaError('ENVELOPE_MALFORMED', `payload is neither gzip nor valid JSON: ${(err as Error).message}`, [], { cause: err })
  }
  const envelope = validators.BatchEnvelope.parse(value)
  const recordValidator: Validator<TSchema> = recordValidators[envelope.stream]
  const errors: FieldError[] = []
  let previous = 0
  envelope.records.forEach((record, i) => {
    if (record.seq <= previous) errors.push({ path: `/records/${i}/seq`, message: `must be greater than ${previous}` })
    previous = record.seq
    if (errors.length < 10 && !recordValidator.check(record.data)) {
      for (const e of recordValidator.errors(record.data)) errors.push({ path: `/records/${i}/data${e.path}`, message: e.message })
    }
  })
  const first = envelope.records[0]?.seq
  const last = envelope.records[envelope.records.length - 1]?.seq
  if (envelope.firstSeq !== first) errors.push({ path: '/firstSeq', message: `must equal the first record's seq ${first}` })
  if (envelope.lastSeq !== last) errors.push({ path: '/lastSeq', message: `must equal the last record's seq ${last}` })
  if (errors.length > 0) {
    const summary = errors
      .slice(0, 10)
      .map((e) => `${e.path}: ${e.message}`)
      .join('; ')
    throw new SchemaError('SCHEMA_INVALID', `invalid BatchEnvelope (${envelope.stream}): ${summary}`, errors.slice(0, 10))
  }
  return { envelope, json }
}
