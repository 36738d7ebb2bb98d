import { type LocationDevicePositionEvent, SchemaError, validators } from '@edgetwin/shared-schemas'
import type { ArchiveRecord, ArchiveStream } from '../sinks/archive/archive-stream.js'
import type { LocalArchiveStream } from '../sinks/archive/local-archive-stream.js'
import type { SinkWriteResult } from '../sinks/sink-result.js'
import { FleetError } from './errors.js'

/**
 * The archived form of a position event: the EventBridge event exactly as the bus delivered it (the AWS path's
 * Firehose target writes the same line), partitioned by `.detail.DeviceId`. Athena reads it as
 * `detail.deviceid`, `detail.sampletime`, `detail.position`.
 */
export type ArchivedPositionEvent = ArchiveRecord & LocationDevicePositionEvent

export function toArchivedPositionEvent(event: LocationDevicePositionEvent): ArchivedPositionEvent {
  return event as ArchivedPositionEvent
}

/** Firehose's `partitionKeyFromQuery` for position events: `.detail.DeviceId`. */
export const positionEventPartitionKey = (record: ArchiveRecord): string =>
  String((record as Partial<LocationDevicePositionEvent>).detail?.DeviceId)

const checkEvent = (event: LocationDevicePositionEvent): void => {
  if (!validators.LocationDevicePositionEvent.check(event)) {
    throw new SchemaError('SCHEMA_INVALID', `invalid LocationDevicePositionEvent`, validators.LocationDevicePositionEvent.errors(event))
  }
}

const rejectedError = (event: LocationDevicePositionEvent, result: SinkWriteResult): FleetError | undefined => {
  const r = result.rejected[0]
  return r
    ? new FleetError('CLOUD_FLEET_ARCHIVE_REJECTED', `archive refused position event ${event.id}: ${r.code} ${r.message}`)
    : undefined
}

/**
 * The archive target inside the durable bus's delivery transaction: the spool row and "delivered" commit together,
 * so a crash never archives an event twice.
 */
export function createPositionEventSpooler(
  archive: Pick<LocalArchiveStream, 'appendInTransaction'>,
): (event: LocationDevicePositionEvent) => void {
  return (event) => {
    checkEvent(event)
    const err = rejectedError(event, archive.appendInTransaction([toArchivedPositionEvent(event)]))
    if (err) throw err
  }
}

/**
 * The reference architecture's Firehose pattern: the same position events the enrichment consumes, buffered,
 * newline-delimited, GZIP-compressed and partitioned by DeviceId by the archive stream.
 */
export function createPositionEventArchiver(archive: Pick<ArchiveStream, 'put'>): (event: LocationDevicePositionEvent) => Promise<void> {
  return async (event) => {
    checkEvent(event)
    const err = rejectedError(event, await archive.put([toArchivedPositionEvent(event)]))
    if (err) throw err
  }
}
