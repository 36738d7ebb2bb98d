import type { BatchEnvelope, DeadLetterReason, DecodeLimits, SinkName, StreamName } from '@edgetwin/shared-schemas'
import type { Logger } from 'pino'
import { CloudError } from '../errors.js'
import type { ArchiveStream } from '../sinks/archive/archive-stream.js'
import type { ArchiveLines } from '../sinks/archive/local-archive-stream.js'
import type { DeviceStatusStore } from '../sinks/device-status/device-status-store.js'
import type { DevicePositionUpdate, PositionTracker } from '../sinks/position-tracker/position-tracker.js'
import { NOTHING_REJECTED, type SinkWriteResult } from '../sinks/sink-result.js'
import type { TimeSeriesPoint, TimeSeriesWriter } from '../sinks/time-series/time-series-store.js'
import type { DeadLetterStore } from './dead-letter-store.js'
import { decodeMessage, planRoute, type SinkDelivery } from './decide.js'
import type { HighWaterMarkStore } from './high-water-mark.js'
import { findRecordText, type RecordText } from './record-text.js'
import { toArchiveLines, toArchiveRecords, toHealthReports, toPositionUpdates, toTimeSeriesPoints } from './to-sink.js'

export interface RouterSinks {
  readonly tracker: PositionTracker
  readonly timeSeries: TimeSeriesWriter
  readonly archive: ArchiveStream
  readonly deviceStatus: DeviceStatusStore
}

/**
 * Synchronous writers of sinks that keep their data in the marks' own database (the local tracker, archive spool
 * and time series in SQLite). The router runs them inside `marks.transaction`, each with its mark in a savepoint, together
 * with the marks of the sinks written elsewhere: one SQLite commit per envelope, in which records and marks commit
 * together, so a crash or a redelivery never duplicates them.
 */
export interface InTransactionWriters {
  readonly tracker?: (updates: readonly DevicePositionUpdate[]) => SinkWriteResult
  /** Lines encoded by the router from the envelope's own JSON text (one partition: the device). */
  readonly archive?: (lines: ArchiveLines) => SinkWriteResult
  /** Points whose measures are copied from the envelope's own JSON text. */
  readonly timeSeries?: (points: readonly TimeSeriesPoint[]) => SinkWriteResult
  /** Called after a transaction these writers wrote in was rolled back (in whole or a savepoint): drop caches of it. */
  readonly rolledBack?: () => void
}

export interface RouterOptions {
  readonly sinks: RouterSinks
  /** Only with a marks store that has `advanceWith` and `transaction`, on the same database as these writers. */
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

  const write = (
    d: SinkDelivery,
    receivedTime: string,
    envelope: BatchEnvelope,
    text: RecordText | undefined,
  ): Promise<SinkWriteResult> => {
    switch (d.sink) {
      case 'tracker':
        return sinks.tracker.update(toPositionUpdates(envelope, d.records))
      case 'timeSeries':
        return sinks.timeSeries.write(toTimeSeriesPoints(envelope, d.records, text))
      case 'archive':
        return sinks.archive.put(toArchiveRecords(envelope, d.records, receivedTime))
      case 'deviceStatus':
        return sinks.deviceStatus.record(toHealthReports(d.records))
    }
  }

  const atomic = marks.advanceWith && marks.transaction ? options.inTransaction : undefined
  const advanceWith = marks.advanceWith?.bind(marks)
  const inTransaction = (sink: SinkName): boolean =>
    atomic !== undefined &&
    ((sink === 'tracker' && atomic.tracker !== undefined) ||
      (sink === 'archive' && atomic.archive !== undefined) ||
      (sink === 'timeSeries' && atomic.timeSeries !== undefined))
  /** The sink's write, for a sink in the marks' database (run inside the envelope's transaction). */
  const writeInTransaction = (
    d: SinkDelivery,
    receivedTime: string,
    envelope: BatchEnvelope,
    text: RecordText | undefined,
  ): SinkWriteResult => {
    switch (d.sink) {
      case 'tracker':
        return atomic!.tracker!(toPositionUpdates(envelope, d.records))
      case 'archive':
        return atomic!.archive!(toArchiveLines(envelope, d.records, receivedTime, text))
      case 'timeSeries':
        return atomic!.timeSeries!(toTimeSeriesPoints(envelope, d.records, text))
      default:
        throw new CloudError('CLOUD_SINK_FAILED', `sink ${d.sink} is not written in the marks' transaction`)
    }
  }
  const NOTHING_WRITTEN: SinkWriteResult = { written: 0, rejected: NOTHING_REJECTED }

  const counted = (d: SinkDelivery, deviceId: string, result: SinkWriteResult): void => {
    if (result.rejected.length > 0) {
      stats.rejected[d.sink] += result.rejected.length
      logger.error({ sink: d.sink, deviceId, rejected: result.rejected.slice(0, 10) }, 'sink rejected entries')
    }
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
      const { deviceId, stream } = envelope
      const plan = planRoute(envelope, await marks.get(deviceId, stream))
      stats.replayedRecords += plan.replayedCount
      if (plan.deliveries.length === 0) {
        stats.duplicateBatches++
        logger.debug({ deviceId, stream, lastSeq: envelope.lastSeq }, 'replayed batch dropped')
        return { outcome: 'duplicate', deviceId, stream, replayed: plan.replayedCount }
      }
      // Where each record's JSON sits in the payload, when a sink copies it instead of serialising the record again.
      const copiesText = plan.deliveries.some(
        (d) =>
          (d.sink === 'archive' && inTransaction('archive')) ||
          (d.sink === 'timeSeries' && (inTransaction('timeSeries') || sinks.timeSeries.storesMeasuresJson === true)),
      )
      const text = copiesText ? findRecordText(decoded.json, envelope.records.length) : undefined
      const failed: Array<{ sink: SinkName; err: unknown }> = []
      // Sinks with their own store first: the mark moves only after the sink has the records, so they are
      // at-least-once there, made exactly-once by the mark and by the sink's own idempotency on (device, stream,
      // seq) for a crash in between.
      const external = plan.deliveries.filter((d) => !inTransaction(d.sink))
      const written = await Promise.allSettled(external.map((d) => write(d, receivedTime, envelope, text)))
      const done: SinkDelivery[] = []
      written.forEach((r, i) => {
        const d = external[i]!
        if (r.status === 'fulfilled') {
          counted(d, deviceId, r.value)
          done.push(d)
        } else failed.push({ sink: d.sink, err: r.reason })
      })
      if (atomic) {
        // One transaction for the sinks in the marks' database and every mark; a savepoint per sink, so one that
        // fails leaves the others' records and marks to commit.
        let savepointFailed = false
        try {
          marks.transaction!(() => {
            for (const d of plan.deliveries) {
              if (!inTransaction(d.sink)) continue
              try {
                counted(
                  d,
                  deviceId,
                  advanceWith!(deviceId, stream, d.sink, d.lastSeq, () => writeInTransaction(d, receivedTime, envelope, text)),
                )
              } catch (err) {
                savepointFailed = true
                failed.push({ sink: d.sink, err })
              }
            }
            for (const d of done) advanceWith!(deviceId, stream, d.sink, d.lastSeq, () => NOTHING_WRITTEN)
          })
        } catch (err) {
          // The commit failed: nothing of it is stored, every sink in it is retried (external ones idempotently).
          savepointFailed = true
          for (const d of plan.deliveries) if (!failed.some((f) => f.sink === d.sink)) failed.push({ sink: d.sink, err })
        }
        if (savepointFailed) atomic.rolledBack?.()
      } else {
        const advanced = await Promise.allSettled(done.map((d) => marks.advance(deviceId, stream, d.sink, d.lastSeq)))
        advanced.forEach((r, i) => {
          if (r.status === 'rejected') failed.push({ sink: done[i]!.sink, err: r.reason })
        })
      }
      if (failed.length > 0) {
        throw new CloudError('CLOUD_SINK_FAILED', `sink(s) ${failed.map((f) => f.sink).join(', ')} failed for ${topic}`, {
          cause: failed.length === 1 ? failed[0]!.err : new AggregateError(failed.map((f) => f.err)),
        })
      }
      const routed = Math.max(...plan.deliveries.map((d) => d.records.length))
      stats.routedRecords += routed
      return { outcome: 'routed', deviceId, stream, routed, replayed: plan.replayedCount }
    },
  }
}
