import {
  type DevicePositionUpdate as AwsPositionUpdate,
  BatchUpdateDevicePositionCommand,
  GetDevicePositionHistoryCommand,
  type LocationClient,
} from '@aws-sdk/client-location'
import type { Logger } from 'pino'
import { CloudError } from '../../errors.js'
import { type BackoffPolicy, backoffDelayMs, chunk, resolveBackoff } from '../retry.js'
import type { RejectedEntry } from '../sink-result.js'
import type { DevicePositionUpdate, PositionTracker, StoredDevicePosition } from './position-tracker.js'

/** BatchUpdateDevicePosition takes at most 10 updates per call (Amazon Location API reference). */
export const LOCATION_MAX_UPDATES_PER_CALL = 10

export interface LocationTrackerOptions {
  /** Construct it with `maxAttempts: 1` and `disableHostPrefix` when pointed at a custom endpoint; this adapter retries. */
  readonly client: LocationClient
  readonly trackerName: string
  readonly logger: Logger
  readonly backoff?: BackoffPolicy
}

/** `BatchItemError` codes worth another attempt; the others (AccessDenied, ResourceNotFound, Validation) are final. */
const RETRYABLE_ITEM_ERRORS = new Set(['ThrottlingError', 'InternalServerError', 'ConflictError'])
const RETRYABLE_CALL_ERRORS = new Set(['ThrottlingException', 'InternalServerException', 'ServiceUnavailableException'])

/**
 * The tracker on AWS: an Amazon Location tracker (configured with `PositionFiltering: DistanceBased`, so the
 * service applies the 30 m filter and publishes the EventBridge events). Updates go 10 per call; entries listed in
 * the response's `Errors` with a retryable code are resent with backoff, the rest are reported as rejected.
 */
export function createLocationPositionTracker(options: LocationTrackerOptions): PositionTracker {
  const { client, trackerName, logger } = options
  const backoff = resolveBackoff(options.backoff)

  const toAws = (u: DevicePositionUpdate): AwsPositionUpdate => ({
    DeviceId: u.deviceId,
    SampleTime: new Date(u.sampleTime),
    Position: [u.position[0], u.position[1]],
    ...(u.accuracyM !== undefined ? { Accuracy: { Horizontal: u.accuracyM } } : {}),
    ...(u.properties ? { PositionProperties: { ...u.properties } } : {}),
  })

  const sendChunk = async (updates: readonly DevicePositionUpdate[], offset: number, rejected: RejectedEntry[]): Promise<void> => {
    let pending = updates.map((u, i) => ({ u, index: offset + i }))
    for (let attempt = 0; ; attempt++) {
      let retry: typeof pending = []
      try {
        const out = await client.send(
          new BatchUpdateDevicePositionCommand({ TrackerName: trackerName, Updates: pending.map((p) => toAws(p.u)) }),
        )
        for (const e of out.Errors ?? []) {
          // Errors name the entry by DeviceId and SampleTime, not by index.
          const sampleMs = e.SampleTime?.getTime()
          const hit = pending.find((p) => p.u.deviceId === e.DeviceId && Date.parse(p.u.sampleTime) === sampleMs)
          if (!hit) continue
          const code = e.Error?.Code ?? 'Unknown'
          if (RETRYABLE_ITEM_ERRORS.has(code)) retry.push(hit)
          else rejected.push({ index: hit.index, code, message: e.Error?.Message ?? '' })
        }
      } catch (err) {
        if (!RETRYABLE_CALL_ERRORS.has((err as Error).name)) {
          throw new CloudError('CLOUD_LOCATION_REJECTED', `BatchUpdateDevicePosition on ${trackerName} failed: ${(err as Error).message}`, {
            cause: err,
          })
        }
        logger.warn({ err, attempt }, 'location throttled the call')
        retry = pending
      }
      if (retry.length === 0) return
      if (attempt + 1 >= backoff.maxAttempts) {
        throw new CloudError('CLOUD_RETRIES_EXHAUSTED', `${retry.length} position update(s) still failing after ${attempt + 1} attempts`)
      }
      pending = retry
      await backoff.sleep(backoffDelayMs(attempt, backoff))
    }
  }

  return {
    trackerName,
    async update(updates) {
      const rejected: RejectedEntry[] = []
      let offset = 0
      for (const c of chunk(updates, LOCATION_MAX_UPDATES_PER_CALL)) {
        await sendChunk(c, offset, rejected)
        offset += c.length
      }
      return { written: updates.length - rejected.length, rejected }
    },
    async history(query) {
      const out: StoredDevicePosition[] = []
      let token: string | undefined
      do {
        const page = await client.send(
          new GetDevicePositionHistoryCommand({
            TrackerName: trackerName,
            DeviceId: query.deviceId,
            ...(query.from ? { StartTimeInclusive: new Date(query.from) } : {}),
            ...(query.to ? { EndTimeExclusive: new Date(query.to) } : {}),
            ...(token ? { NextToken: token } : {}),
          }),
        )
        for (const p of page.DevicePositions ?? []) {
          out.push({
            deviceId: p.DeviceId ?? query.deviceId,
            sampleTime: p.SampleTime!.toISOString(),
            receivedTime: p.ReceivedTime!.toISOString(),
            position: [p.Position![0]!, p.Position![1]!],
            ...(p.Accuracy?.Horizontal !== undefined ? { accuracyM: p.Accuracy.Horizontal } : {}),
          })
        }
        token = page.NextToken
      } while (token)
      return out
    },
    async close() {
      client.destroy()
    },
  }
}
