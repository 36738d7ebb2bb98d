import type { StreamName } from '@edgetwin/shared-schemas'
import type { Logger } from 'pino'
import { AgentError } from '../errors.js'
import { countQuarantined, type HealthCounters } from '../health/counters.js'
import type { OutboxRow, SqliteOutbox } from '../outbox/outbox.js'
import { translateSqliteError } from '../outbox/sqlite-errors.js'
import { ENVELOPE_OVERHEAD_BYTES, PER_RECORD_OVERHEAD_BYTES } from './envelope-batch.js'
import { damagedRowReason } from './row-check.js'

/** Room kept in a PUBLISH packet for its fixed header, topic length, packet id and MQTT 5 properties. */
export const PACKET_OVERHEAD_BYTES = 64

export interface BatchReaderOptions {
  readonly outbox: SqliteOutbox
  /** The configured limits: `publish.maxRecordsPerBatch` and `publish.maxBatchBytes`. */
  readonly maxRecordsPerBatch: number
  readonly maxBatchBytes: number
  readonly counters: HealthCounters
  readonly logger: Logger
  readonly onError: (err: AgentError) => void
}

/**
 * What the next batch of a stream holds: as many rows as fit the batch limits (the configured ones, or smaller
 * ones the broker announced or taught), each checked as it is read back. A row damaged on disk is quarantined
 * (counted) instead of sent, so it cannot make the cloud refuse the good records batched with it.
 */
export class BatchReader {
  /** Per stream, the largest batch (record JSON bytes) learned to pass the broker's size limit. */
  private readonly learnedBatchBytes = new Map<StreamName, number>()
  /** Reads that failed in a row (the disk or the file): each waits twice as long before the next, up to 30 s. */
  private failures = 0
  /** After a failed read: when to read again (the publisher wakes then); undefined while reads succeed. */
  retryAtMs: number | undefined

  constructor(private readonly o: BatchReaderOptions) {}

  /**
   * The intact rows after `afterSeq`, at most what one PUBLISH to `topic` may carry (`maximumPacketSize`: the
   * broker's MQTT 5 CONNACK Maximum Packet Size, which bounds the whole packet: topic, properties and payload).
   * A read that fails (the disk reports an I/O error, which SQLite may report as a damaged file) is reported
   * through `onError`, nothing is returned, and `retryAtMs` says when to try again: a failing read never throws
   * into the publisher, and the rows stay stored for later.
   */
  next(stream: StreamName, afterSeq: number, topic: string, maximumPacketSize: number | undefined): OutboxRow[] {
    try {
      const rows = this.read(stream, afterSeq, topic, maximumPacketSize)
      this.failures = 0
      this.retryAtMs = undefined
      return rows
    } catch (err) {
      this.failures++
      const delayMs = Math.min(30_000, 250 * 2 ** Math.min(7, this.failures - 1))
      this.retryAtMs = Date.now() + delayMs
      const e = translateSqliteError(err, `reading ${stream} records from the outbox`)
      this.o.onError(e)
      this.o.logger.error(
        { stream, code: e.code, err: e.message, retryInMs: delayMs },
        'outbox read failed; sending resumes when it reads again',
      )
      return []
    }
  }

  private read(stream: StreamName, afterSeq: number, topic: string, maximumPacketSize: number | undefined): OutboxRow[] {
    let maxBytes = Math.min(this.o.maxBatchBytes, this.learnedBatchBytes.get(stream) ?? Number.POSITIVE_INFINITY)
    if (maximumPacketSize) maxBytes = Math.min(maxBytes, maximumPacketSize - topic.length - PACKET_OVERHEAD_BYTES)
    for (;;) {
      const rows = this.o.outbox.readBatch(
        stream,
        afterSeq,
        this.o.maxRecordsPerBatch,
        maxBytes - ENVELOPE_OVERHEAD_BYTES,
        PER_RECORD_OVERHEAD_BYTES,
      )
      let intact: OutboxRow[] | undefined
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i]!
        const reason = damagedRowReason(stream, row.data)
        if (reason === undefined) {
          intact?.push(row)
          continue
        }
        intact ??= rows.slice(0, i)
        countQuarantined(this.o.counters, 'damaged', this.o.outbox.quarantineDamaged(stream, row.seq, reason))
        this.o.onError(new AgentError('AGENT_ROW_DAMAGED', `${stream} seq ${row.seq} quarantined: ${reason}`))
        this.o.logger.error({ stream, seq: row.seq, reason }, 'damaged outbox row quarantined')
      }
      // All damaged: they are gone now, read on.
      if (intact === undefined || intact.length > 0 || rows.length === 0) return intact ?? rows
    }
  }

  /** A batch of `recordBytes` was too large for the broker: later batches of `stream` carry half as much. */
  halve(stream: StreamName, recordBytes: number): void {
    this.learnedBatchBytes.set(stream, ENVELOPE_OVERHEAD_BYTES + Math.floor(recordBytes / 2))
  }
}
