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

/**
 * Gzips running at once: the libuv pool's size. More would only wait in the pool's queue, each already holding its
 * envelope text and its deflate state (some 300 KiB), which for a window of 100 batches is tens of MB.
 */
const MAX_CONCURRENT_GZIP = Math.max(1, Number(process.env.UV_THREADPOOL_SIZE) || 4)
let gzipRunning = 0
const gzipWaiting: (() => void)[] = []

function acquireGzip(): Promise<void> {
  if (gzipRunning < MAX_CONCURRENT_GZIP) {
    gzipRunning++
    return Promise.resolve()
  }
  return new Promise((resolve) => gzipWaiting.push(resolve))
}

function releaseGzip(): void {
  const next = gzipWaiting.shift()
  if (next) next()
  else gzipRunning--
}

/**
 * Encodes the batch as one MQTT payload; gzip (the codec's level 6) runs on the libuv pool, off the event loop,
 * a few at a time in call order, each envelope built only when its turn comes.
 */
export async function encodeBatch(id: BatchIdentity, rows: readonly OutboxRow[], compression: 'gzip' | 'none'): Promise<Buffer> {
  if (compression === 'none') return Buffer.from(envelopeJson(id, rows, new Date().toISOString()))
  await acquireGzip()
  try {
    return await gzipAsync(Buffer.from(envelopeJson(id, rows, new Date().toISOString())), { level: 6 })
  } finally {
    releaseGzip()
  }
}
