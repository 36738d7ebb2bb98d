import type { LocationDevicePositionEvent } from '@edgetwin/shared-schemas'
import type { Logger } from 'pino'
import type { Zone } from '../analytics/zone.js'
import type { PositionEventBus } from '../event-bus.js'
import type { ArchiveStream } from '../sinks/archive/archive-stream.js'
import type { LocalArchiveStream } from '../sinks/archive/local-archive-stream.js'
import { createEnrichmentConsumer } from './enrichment.js'
import { createPositionEventArchiver, createPositionEventSpooler } from './event-archiver.js'
import { GeofenceDetector, type GeofenceEvent } from './geofence.js'
import type { MaintenanceStore } from './maintenance-store.js'
import type { ObjectStore } from './object-store.js'

export interface FleetConsumersDeps {
  readonly bus: PositionEventBus
  readonly maintenance: MaintenanceStore
  readonly objects: ObjectStore
  /** The enriched objects' prefix. */
  readonly objectPrefix: string
  /**
   * The archive stream the raw position events go to (a delivery stream of its own, prefix e.g. `position-events`).
   * With `appendInTransaction` (the local spool on the bus's database) an event is spooled in the transaction that
   * marks its delivery done.
   */
  readonly archive: Pick<ArchiveStream, 'put'> & Partial<Pick<LocalArchiveStream, 'appendInTransaction'>>
  readonly zone: Zone
  readonly minDwellS: number
  readonly logger: Logger
  readonly onGeofenceEvent?: (event: GeofenceEvent) => void
}

export interface FleetCounters {
  enriched: number
  archived: number
  geofenceEvents: number
  failed: number
}

export interface FleetConsumers {
  readonly counters: Readonly<FleetCounters>
  close(): Promise<void>
}

/**
 * Subscribes the three consumers of position events to the bus, as the reference architecture's one rule with
 * two targets (enrichment, archive) plus geofence detection. Each runs independently: one failing does not keep
 * the event from the others, and the bus reports the failure to the publisher.
 */
export function startFleetConsumers(deps: FleetConsumersDeps): FleetConsumers {
  const log = deps.logger
  const counters: FleetCounters = { enriched: 0, archived: 0, geofenceEvents: 0, failed: 0 }
  const enrich = createEnrichmentConsumer({ maintenance: deps.maintenance, objects: deps.objects, prefix: deps.objectPrefix, logger: log })
  const geofence = new GeofenceDetector(deps.zone, { minDwellS: deps.minDwellS })
  const counted =
    (name: 'enriched' | 'archived', fn: (e: LocationDevicePositionEvent) => Promise<void>) => async (e: LocationDevicePositionEvent) => {
      try {
        await fn(e)
        counters[name]++
      } catch (err) {
        failed(name, e, err)
        throw err
      }
    }
  const failed = (name: string, e: LocationDevicePositionEvent, err: unknown) => {
    counters.failed++
    log.warn({ err, consumer: name, eventId: e.id, deviceId: e.detail?.DeviceId }, 'position event consumer failed')
  }
  const { appendInTransaction } = deps.archive
  const archiveTarget = appendInTransaction
    ? (() => {
        const spool = createPositionEventSpooler({ appendInTransaction })
        return (e: LocationDevicePositionEvent) => {
          try {
            spool(e)
          } catch (err) {
            failed('archived', e, err)
            throw err
          }
          counters.archived++
        }
      })()
    : counted('archived', createPositionEventArchiver(deps.archive))
  const unsubscribe = [
    // Named targets: a durable bus retries them with backoff and dead-letters them by these names.
    deps.bus.subscribe(counted('enriched', enrich), { target: 'enrichment' }),
    deps.bus.subscribe(archiveTarget, { target: 'archive', inTransaction: appendInTransaction !== undefined }),
    deps.bus.subscribe(
      (e) => {
        const d = e.detail
        for (const g of geofence.update({ deviceId: d.DeviceId, sampleTime: d.SampleTime, lon: d.Position[0], lat: d.Position[1] })) {
          counters.geofenceEvents++
          log.info({ deviceId: g.DeviceId, zone: g.GeofenceId, transition: g.EventType, sampleTime: g.SampleTime }, 'geofence event')
          deps.onGeofenceEvent?.(g)
        }
      },
      { target: 'geofence' },
    ),
  ]
  return {
    counters,
    async close() {
      for (const u of unsubscribe) u()
    },
  }
}
