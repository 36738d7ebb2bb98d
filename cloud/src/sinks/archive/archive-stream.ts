import type { SinkWriteResult } from '../sink-result.js'

/**
 * One archived JSON object. The dynamic-partitioning key (Firehose `partitionKeyFromQuery`) is the stream's
 * choice: the router's telemetry lines carry a top-level `DeviceId`; position events are partitioned by
 * `.detail.DeviceId`, as the reference architecture's Firehose does, and keep EventBridge's shape unchanged.
 */
export interface ArchiveRecord {
  readonly [field: string]: unknown
}

/**
 * The port for an Amazon Data Firehose delivery stream that writes newline-delimited JSON, GZIP-compressed,
 * partitioned by DeviceId. `put` resolves once the records are durable in the stream (not yet in an object).
 */
export interface ArchiveStream {
  put(records: readonly ArchiveRecord[]): Promise<SinkWriteResult>
  /** Delivers whatever is buffered now (locally: writes the objects; Firehose buffers on its side). */
  flush(): Promise<void>
  close(): Promise<void>
}

/** Firehose PutRecordBatch quotas (Amazon Data Firehose API reference, PutRecordBatch). */
export const FIREHOSE_MAX_RECORDS_PER_BATCH = 500
export const FIREHOSE_MAX_BATCH_BYTES = 4 * 1024 * 1024
export const FIREHOSE_MAX_RECORD_BYTES = 1000 * 1024

/** The bytes one record becomes in the stream: JSON plus the newline delimiter. */
export function encodeArchiveRecord(record: ArchiveRecord): Buffer {
  return Buffer.from(`${JSON.stringify(record)}\n`)
}
