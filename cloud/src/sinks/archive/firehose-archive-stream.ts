import { type FirehoseClient, type _Record as FirehoseRecord, PutRecordBatchCommand } from '@aws-sdk/client-firehose'
import type { Logger } from 'pino'
import { CloudError } from '../../errors.js'
import { type BackoffPolicy, backoffDelayMs, resolveBackoff } from '../retry.js'
import type { RejectedEntry } from '../sink-result.js'
import {
  type ArchiveRecord,
  type ArchiveStream,
  encodeArchiveRecord,
  FIREHOSE_MAX_BATCH_BYTES,
  FIREHOSE_MAX_RECORD_BYTES,
  FIREHOSE_MAX_RECORDS_PER_BATCH,
} from './archive-stream.js'

export interface FirehoseArchiveOptions {
  /** Construct it with `maxAttempts: 1`: this adapter does the retrying, entry by entry. */
  readonly client: FirehoseClient
  readonly deliveryStreamName: string
  readonly logger: Logger
  readonly backoff?: BackoffPolicy
}

/** Packs records into PutRecordBatch calls: at most 500 records and 4 MiB per call (PutRecordBatch quotas). */
export function packFirehoseBatches(lines: readonly Buffer[]): number[][] {
  const batches: number[][] = []
  let current: number[] = []
  let bytes = 0
  lines.forEach((line, i) => {
    if (current.length === FIREHOSE_MAX_RECORDS_PER_BATCH || (current.length > 0 && bytes + line.length > FIREHOSE_MAX_BATCH_BYTES)) {
      batches.push(current)
      current = []
      bytes = 0
    }
    current.push(i)
    bytes += line.length
  })
  if (current.length > 0) batches.push(current)
  return batches
}

const RETRYABLE_CALL_ERRORS = new Set(['ServiceUnavailableException', 'ThrottlingException', 'InternalFailure', 'InternalServerError'])

/**
 * The archive on AWS: Amazon Data Firehose `PutRecordBatch`. Firehose answers per record: a batch can succeed with
 * `FailedPutCount > 0`, and the failed entries (those with an `ErrorCode`) must be resent (PutRecordBatch API reference).
 * Only those are resent, with backoff, so nothing is duplicated in the stream by a retry.
 */
export function createFirehoseArchiveStream(options: FirehoseArchiveOptions): ArchiveStream {
  const { client, deliveryStreamName, logger } = options
  const backoff = resolveBackoff(options.backoff)

  const sendBatch = async (lines: readonly Buffer[], indexes: readonly number[]): Promise<void> => {
    let pending = [...indexes]
    for (let attempt = 0; ; attempt++) {
      const records: FirehoseRecord[] = pending.map((i) => ({ Data: lines[i]! }))
      let failed: number[]
      try {
        const out = await client.send(new PutRecordBatchCommand({ DeliveryStreamName: deliveryStreamName, Records: records }))
        const responses = out.RequestResponses ?? []
        failed = (out.FailedPutCount ?? 0) === 0 ? [] : pending.filter((_, k) => responses[k]?.ErrorCode !== undefined)
        if (failed.length > 0) {
          logger.warn(
            { failed: failed.length, of: pending.length, attempt, code: responses.find((r) => r.ErrorCode)?.ErrorCode },
            'firehose entries failed',
          )
        }
      } catch (err) {
        if (!RETRYABLE_CALL_ERRORS.has((err as Error).name)) {
          throw new CloudError('CLOUD_FIREHOSE_REJECTED', `PutRecordBatch to ${deliveryStreamName} failed: ${(err as Error).message}`, {
            cause: err,
          })
        }
        logger.warn({ err, attempt }, 'firehose throttled the call')
        failed = pending
      }
      if (failed.length === 0) return
      if (attempt + 1 >= backoff.maxAttempts) {
        throw new CloudError(
          'CLOUD_RETRIES_EXHAUSTED',
          `${failed.length} record(s) still failing after ${attempt + 1} PutRecordBatch attempts`,
        )
      }
      pending = failed
      await backoff.sleep(backoffDelayMs(attempt, backoff))
    }
  }

  return {
    async put(records) {
      const lines = records.map(encodeArchiveRecord)
      const rejected: RejectedEntry[] = []
      const sendable: number[] = []
      lines.forEach((l, i) => {
        if (l.length > FIREHOSE_MAX_RECORD_BYTES) {
          rejected.push({ index: i, code: 'RecordTooLarge', message: `${l.length} bytes exceeds ${FIREHOSE_MAX_RECORD_BYTES}` })
        } else sendable.push(i)
      })
      const sendLines = sendable.map((i) => lines[i]!)
      for (const batch of packFirehoseBatches(sendLines)) {
        await sendBatch(sendLines, batch)
      }
      return { written: sendable.length, rejected }
    },
    // Firehose buffers on its side (BufferingHints); there is nothing to flush here.
    async flush() {},
    async close() {
      client.destroy()
    },
  }
}

export type { ArchiveRecord }
