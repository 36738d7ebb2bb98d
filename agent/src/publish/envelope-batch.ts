import { promisify } from 'node:util'
import { gzip } from 'node:zlib'
import { type BatchEnvelope, type DeviceKind, ENVELOPE_SCHEMA_VERSION, encodeEnvelope, type StreamName } from '@edgetwin/shared-schemas'
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

/** Builds the BatchEnvelope of `rows` (the shared schema's shape) and encodes it; gzip runs on the libuv pool. */
export async function encodeBatch(id: BatchIdentity, rows: readonly OutboxRow[], compression: 'gzip' | 'none'): Promise<Buffer> {
  const envelope: BatchEnvelope = {
    deviceId: id.deviceId,
    kind: id.kind,
    stream: id.stream,
    schemaVersion: ENVELOPE_SCHEMA_VERSION,
    firstSeq: rows[0]!.seq,
    lastSeq: rows[rows.length - 1]!.seq,
    sentAt: new Date().toISOString(),
    records: rows.map((r) => ({ seq: r.seq, data: JSON.parse(r.data) as unknown })),
  }
  const json = encodeEnvelope(envelope, 'none')
  // Same bytes as encodeEnvelope(envelope, 'gzip'), but compressed off the event loop so accepts keep flowing.
  return compression === 'gzip' ? gzipAsync(json, { level: 6 }) : json
}
