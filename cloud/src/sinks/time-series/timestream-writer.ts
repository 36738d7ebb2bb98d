import {
  type MeasureValue,
  RejectedRecordsException,
  type _Record as TimestreamRecord,
  type TimestreamWriteClient,
  WriteRecordsCommand,
} from '@aws-sdk/client-timestream-write'
import type { Logger } from 'pino'
import { CloudError } from '../../errors.js'
import { type BackoffPolicy, backoffDelayMs, chunk, resolveBackoff } from '../retry.js'
import type { RejectedEntry } from '../sink-result.js'
import type { TimeSeriesPoint, TimeSeriesWriter } from './time-series-store.js'

/** WriteRecords takes at most 100 records per call (Timestream quotas). */
export const TIMESTREAM_MAX_RECORDS_PER_CALL = 100

export interface TimestreamWriterOptions {
  /**
   * Construct it with `maxAttempts: 1` (this adapter retries). Against a custom endpoint (VPC endpoint, tests) the
   * SDK skips endpoint discovery; against the public endpoints it discovers the cell endpoint itself.
   */
  readonly client: TimestreamWriteClient
  readonly database: string
  readonly table: string
  readonly logger: Logger
  readonly backoff?: BackoffPolicy
}

const RETRYABLE_CALL_ERRORS = new Set(['ThrottlingException', 'InternalServerException', 'ServiceUnavailableException'])

/** One multi-measure record per point: measures as DOUBLE, alarms as one VARCHAR, the seq as the record version. */
export function toTimestreamRecord(p: TimeSeriesPoint): TimestreamRecord {
  const values: MeasureValue[] = Object.entries(p.measures).map(([Name, v]) => ({ Name, Value: String(v), Type: 'DOUBLE' }))
  if (p.alarms.length > 0) values.push({ Name: 'alarms', Value: p.alarms.join(','), Type: 'VARCHAR' })
  const dims = Object.entries(p.dimensions).map(([Name, Value]) => ({ Name, Value, DimensionValueType: 'VARCHAR' as const }))
  return {
    MeasureName: p.measurement,
    Time: String(p.timeMs),
    MeasureValues: values,
    // Same version and same values make a retried write idempotent (WriteRecords: record versions).
    Version: p.seq,
    ...(dims.length > 0 ? { Dimensions: dims } : {}),
  }
}

/**
 * Timestream for LiveAnalytics `WriteRecords`. Records of one device share CommonAttributes (the `device_id`
 * dimension, MULTI, MILLISECONDS), 100 per call. A RejectedRecordsException lists the records refused (by index);
 * the others in the call were written, so only the rejected ones are reported and none are resent. Throttling
 * and internal errors resend the call with backoff.
 */
export function createTimestreamWriter(options: TimestreamWriterOptions): TimeSeriesWriter {
  const { client, database, table, logger } = options
  const backoff = resolveBackoff(options.backoff)

  const send = async (deviceId: string, points: readonly TimeSeriesPoint[], indexes: readonly number[], rejected: RejectedEntry[]) => {
    const command = new WriteRecordsCommand({
      DatabaseName: database,
      TableName: table,
      CommonAttributes: {
        Dimensions: [{ Name: 'device_id', Value: deviceId, DimensionValueType: 'VARCHAR' }],
        MeasureValueType: 'MULTI',
        TimeUnit: 'MILLISECONDS',
      },
      Records: points.map(toTimestreamRecord),
    })
    for (let attempt = 0; ; attempt++) {
      try {
        await client.send(command)
        return
      } catch (err) {
        if (err instanceof RejectedRecordsException) {
          for (const r of err.RejectedRecords ?? []) {
            const i = r.RecordIndex ?? -1
            rejected.push({ index: indexes[i] ?? -1, code: 'RejectedRecord', message: r.Reason ?? '' })
          }
          logger.warn({ deviceId, rejected: err.RejectedRecords?.length }, 'timestream rejected records')
          return
        }
        if (!RETRYABLE_CALL_ERRORS.has((err as Error).name)) {
          throw new CloudError('CLOUD_TIMESTREAM_REJECTED', `WriteRecords to ${database}.${table} failed: ${(err as Error).message}`, {
            cause: err,
          })
        }
        if (attempt + 1 >= backoff.maxAttempts) {
          throw new CloudError('CLOUD_RETRIES_EXHAUSTED', `WriteRecords still throttled after ${attempt + 1} attempts`, { cause: err })
        }
        logger.warn({ err, attempt }, 'timestream throttled the call')
        await backoff.sleep(backoffDelayMs(attempt, backoff))
      }
    }
  }

  return {
    async write(points) {
      const byDevice = new Map<string, number[]>()
      points.forEach((p, i) => {
        const list = byDevice.get(p.deviceId)
        if (list) list.push(i)
        else byDevice.set(p.deviceId, [i])
      })
      const rejected: RejectedEntry[] = []
      for (const [deviceId, idx] of byDevice) {
        for (const part of chunk(idx, TIMESTREAM_MAX_RECORDS_PER_CALL)) {
          await send(
            deviceId,
            part.map((i) => points[i]!),
            part,
            rejected,
          )
        }
      }
      return { written: points.length - rejected.length, rejected }
    },
    async close() {
      client.destroy()
    },
  }
}
