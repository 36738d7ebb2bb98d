import { promisify } from 'node:util'
import { gzip } from 'node:zlib'
import { type BatchEnvelope, type DeviceKind, ENVELOPE_SCHEMA_VERSION, type StreamName } from '@edgetwin/shared-schemas'
import type { OutboxRow } from '../outbox/outbox.js'

const gzipAsync = promisify(gzip)

/** Room kept in every message for the envelope's own fields (device id up to 128 chars, kind, stream, seqs, time). */
export const ENVELOPE_OVERHEAD_BYTES = 512
/** `{"seq":<up to 15 digits>,"data":},` around each record. */
export const PER_RECORD_OVERHEAD_BYTES = 32

export interface BatchIdentity {
  readonly deviceId: string
  readonly kind: DeviceKind
  readonly stream: StreamName
}

/**
 * The JSON text of the shared BatchEnvelope for `rows`. The rows already hold each record's JSON as validated and
 * serialised by accept, so they are spliced in as they are instead of parsed and serialised again: the bytes are
 * those `JSON.stringify(envelope)` gives (envelope-batch.test.ts checks it against the shared codec).
 */
export function envelopeJson(id: BatchIdentity, rows: readonly OutboxRow[], sentAt: string): string {
  const head: Omit<BatchEnvelope, 'records'> = {
    deviceId: id.deviceId,
    kind: id.kind,
    stream: id.stream,
    schemaVersion: ENVELOPE_SCHEMA_VERSION,
    firstSeq: rows[0]!.seq,
    lastSeq: rows[rows.length - 1]!.seq,
    sentAt,
  }
  const parts = new Array<string>(rows.length)
  for (let i = 0; i < rows.length; i++) parts[i] = `{"seq":${rows[i]!.seq},"data":${rows[i]!.data}}`
  return `${JSON.stringify(head).slice(0, -1)},"records":[${parts.join(',')}]}`
}

/** Encodes the batch as one MQTT payload; gzip (the codec's level 6) runs on the libuv pool, off the event loop. */
export async function encodeBatch(id: BatchIdentity, rows: readonly OutboxRow[], compression: 'gzip' | 'none'): Promise<Buffer> {
  const json = Buffer.from(envelopeJson(id, rows, new Date().toISOString()))
  return compression === 'gzip' ? gzipAsync(json, { level: 6 }) : json
}
