import type { DeadLetterReason, DecodeLimits, SinkName, StreamName } from '@edgetwin/shared-schemas'
import type { Logger } from 'pino'
import { CloudError } from '../errors.js'
import type { ArchiveRecord, ArchiveStream } from '../sinks/archive/archive-stream.js'
import type { DeviceStatusStore } from '../sinks/device-status/device-status-store.js'
import type { DevicePositionUpdate, PositionTracker } from '../sinks/position-tracker/position-tracker.js'
import type { SinkWriteResult } from '../sinks/sink-result.js'
import type { TimeSeriesWriter } from '../sinks/time-series/time-series-store.js'
import type { DeadLetterStore } from './dead-letter-store.js'
import { decodeMessage, planRoute, type SinkDelivery } from './decide.js'
import type { HighWaterMarkStore } from './high-water-mark.js'
import { toArchiveRecords, toHealthReports, toPositionUpdates, toTimeSeriesPoints } from './to-sink.js'

export interface RouterSinks {
  readonly tracker: PositionTracker
  readonly timeSeries: TimeSeriesWriter
  readonly archive: ArchiveStream
  readonly deviceStatus: DeviceStatusStore
}

/**
 * Synchronous writers of sinks that keep their data in the marks' own database (the local tracker and archive
 * spool in SQLite). The router runs each inside `marks.advanceWith`, one transaction per envelope and sink, so
 * the records and their high-water mark commit together: a crash or a redelivery never duplicates them.
 */
export interface InTransactionWriters {
  readonly tracker?: (updates: readonly DevicePositionUpdate[]) => SinkWriteResult
  readonly archive?: (records: readonly ArchiveRecord[]) => SinkWriteResult
}

export interface RouterOptions {
  readonly sinks: RouterSinks
  /** Only with a marks store that has `advanceWith`, on the same database as these writers. */
  readonly inTransaction?: InTransactionWriters
  readonly marks: HighWaterMarkStore
  readonly deadLetters: DeadLetterStore
  readonly logger: Logger
  readonly limits?: DecodeLimits
  /** @default () => new Date() */
  readonly now?: () => Date
}

export type RouteOutcome =
  | {
      readonly outcome: 'routed'
      readonly deviceId: string
      readonly stream: StreamName
      readonly routed: number
      readonly replayed: number
    }
  | { readonly outcome: 'duplicate'; readonly deviceId: string; readonly stream: StreamName; readonly replayed: number }
  | { readonly outcome: 'dead-letter'; readonly reason: DeadLetterReason; readonly message: string }

export interface RouterStats {
  messages: number
  routedRecords: number
  replayedRecords: number
  duplicateBatches: number
  deadLetters: number
  /** Entries a sink's service refused for good (validation), per sink. */
  rejected: Record<SinkName, number>
}

export interface Router {
  /**
   * Routes one message. Resolves with the outcome (a dead letter is an outcome, not an error); rejects with
   * CLOUD_SINK_FAILED when a sink failed, after the other sinks' marks were advanced, so a retry of the same
   * message delivers only to the sinks that still lack it.
   */
  handle(topic: string, payload: Uint8Array): Promise<RouteOutcome>
  stats(): Readonly<RouterStats>
}

export function createRouter(options: RouterOptions): Router {
  const { sinks, marks, deadLetters, logger } = options
  const now = options.now ?? (() => new Date())
  const stats: RouterStats = {
    messages: 0,
    routedRecords: 0,
    replayedRecords: 0,
    duplicateBatches: 0,
    deadLetters: 0,
    rejected: { tracker: 0, timeSeries: 0, archive: 0, deviceStatus: 0 },
  }

  const write = (d: SinkDelivery, receivedTime: string, envelope: Parameters<typeof toArchiveRecords>[0]): Promise<SinkWriteResult> => {
    switch (d.sink) {
      case 'tracker':
        return sinks.tracker.update(toPositionUpdates(envelope, d.records))
      case 'timeSeries':
        return sinks.timeSeries.write(toTimeSeriesPoints(envelope, d.records))
      case 'archive':
        return sinks.archive.put(toArchiveRecords(envelope, d.records, receivedTime))
      case 'deviceStatus':
        return sinks.deviceStatus.record(toHealthReports(d.records))
    }
  }

  const atomic = options.inTransaction
  const advanceWith = marks.advanceWith?.bind(marks)
  /** The write and the mark in one transaction, when the sink lives in the marks' database; undefined otherwise. */
  const writeAtomically = (d: SinkDelivery, receivedTime: string, envelope: Parameters<typeof toArchiveRecords>[0]) => {
    if (!advanceWith || !atomic) return undefined
    const { deviceId, stream } = envelope
    if (d.sink === 'tracker' && atomic.tracker) {
      const updates = toPositionUpdates(envelope, d.records)
      return advanceWith(deviceId, stream, d.sink, d.lastSeq, () => atomic.tracker!(updates))
    }
    if (d.sink === 'archive' && atomic.archive) {
      const records = toArchiveRecords(envelope, d.records, receivedTime)
      return advanceWith(deviceId, stream, d.sink, d.lastSeq, () => atomic.archive!(records))
    }
    return undefined
  }

  return {
    stats: () => stats,
    async handle(topic, payload) {
      stats.messages++
      const receivedTime = now().toISOString()
      const decoded = decodeMessage(topic, payload, receivedTime, options.limits)
      if (!decoded.ok) {
        const { letter } = decoded
        await deadLetters.put(letter)
        stats.deadLetters++
        logger.warn({ topic: letter.topic.slice(0, 256), reason: letter.reason, bytes: letter.payloadBytes }, letter.message)
        return { outcome: 'dead-letter', reason: letter.reason, message: letter.message }
      }
      const { envelope } = decoded
      const plan = planRoute(envelope, await marks.get(envelope.deviceId, envelope.stream))
      stats.replayedRecords += plan.replayedCount
      if (plan.deliveries.length === 0) {
        stats.duplicateBatches++
        logger.debug({ deviceId: envelope.deviceId, stream: envelope.stream, lastSeq: envelope.lastSeq }, 'replayed batch dropped')
        return { outcome: 'duplicate', deviceId: envelope.deviceId, stream: envelope.stream, replayed: plan.replayedCount }
      }
      const results = await Promise.allSettled(
        plan.deliveries.map(async (d) => {
          let result = writeAtomically(d, receivedTime, envelope)
          if (!result) {
            result = await write(d, receivedTime, envelope)
            // The mark moves only after the sink has the records: at-least-once into the sink, made exactly-once by
            // the mark and by the sink's own idempotency on (device, stream, seq) for a crash in between.
            await marks.advance(envelope.deviceId, envelope.stream, d.sink, d.lastSeq)
          }
          if (result.rejected.length > 0) {
            stats.rejected[d.sink] += result.rejected.length
            logger.error({ sink: d.sink, deviceId: envelope.deviceId, rejected: result.rejected.slice(0, 10) }, 'sink rejected entries')
          }
        }),
      )
      const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ sink: plan.deliveries[i]!.sink, err: r.reason }] : []))
      if (failed.length > 0) {
        throw new CloudError('CLOUD_SINK_FAILED', `sink(s) ${failed.map((f) => f.sink).join(', ')} failed for ${topic}`, {
          cause: failed.length === 1 ? failed[0]!.err : new AggregateError(failed.map((f) => f.err)),
        })
      }
      const routed = Math.max(...plan.deliveries.map((d) => d.records.length))
      stats.routedRecords += routed
      return { outcome: 'routed', deviceId: envelope.deviceId, stream: envelope.stream, routed, replayed: plan.replayedCount }
    },
  }
}
