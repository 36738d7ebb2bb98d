import { type LocationDevicePositionEvent, SchemaError, validators } from '@edgetwin/shared-schemas'
import type { ArchiveRecord, ArchiveStream } from '../sinks/archive/archive-stream.js'
import { FleetError } from './errors.js'

/**
 * The archived form of a position event: the raw EventBridge event with `DeviceId` lifted to the top, the
 * dynamic-partitioning key the archive port takes (on AWS, Firehose's inline parsing with `.detail.DeviceId`
 * yields the same partition). Athena reads it as `detail.deviceid`, `detail.sampletime`, `detail.position`.
 */
export type ArchivedPositionEvent = ArchiveRecord & LocationDevicePositionEvent

export function toArchivedPositionEvent(event: LocationDevicePositionEvent): ArchivedPositionEvent {
  return { DeviceId: event.detail.DeviceId, ...event }
}

/**
 * The reference architecture's Firehose pattern: the same position events the enrichment consumes, buffered,
 * newline-delimited, GZIP-compressed and partitioned by DeviceId by the archive stream.
 */
export function createPositionEventArchiver(archive: Pick<ArchiveStream, 'put'>): (event: LocationDevicePositionEvent) => Promise<void> {
  return async (event) => {
    if (!validators.LocationDevicePositionEvent.check(event)) {
      throw new SchemaError('SCHEMA_INVALID', `invalid LocationDevicePositionEvent`, validators.LocationDevicePositionEvent.errors(event))
    }
    const result = await archive.put([toArchivedPositionEvent(event)])
    if (result.rejected.length > 0) {
      const r = result.rejected[0]!
      throw new FleetError('CLOUD_FLEET_ARCHIVE_REJECTED', `archive refused position event ${event.id}: ${r.code} ${r.message}`)
    }
  }
}
