import { isAbsolute, join } from 'node:path'
import type { CloudFleetConfig } from '@edgetwin/shared-schemas'
import type { Database } from 'better-sqlite3'
import type { Logger } from 'pino'
import { defaultZone, loadZoneFile, type Zone } from '../analytics/zone.js'
import type { PositionEventBus } from '../event-bus.js'
import { createLocalArchiveStream } from '../sinks/archive/local-archive-stream.js'
import { createDynamoDbMaintenanceStore } from './dynamodb-maintenance-store.js'
import { FleetError } from './errors.js'
import { positionEventPartitionKey } from './event-archiver.js'
import { type FleetConsumers, startFleetConsumers } from './fleet-consumers.js'
import type { GeofenceEvent } from './geofence.js'
import { createLocalObjectStore } from './local-object-store.js'
import type { MaintenanceStore } from './maintenance-store.js'
import type { ObjectStore } from './object-store.js'
import { createS3ObjectStore } from './s3-object-store.js'
import { createSqliteMaintenanceStore } from './sqlite-maintenance-store.js'

export interface FleetServicesDeps {
  /** The cloud dataDir: relative paths of the fleet config resolve against it. */
  readonly dataDir: string
  readonly bus: PositionEventBus
  /** Folder the local archive objects go under (the ingest's archive root, the local "bucket"). */
  readonly archiveRoot: string
  readonly logger: Logger
  readonly awsRegion?: string
  /** Local archive buffering of the position events (Firehose hints; `cloud run` passes the config's `archive`). */
  readonly archiveBufferIntervalMs?: number
  readonly archiveBufferSizeBytes?: number
  /** The database the event bus is on: the position events' spool joins its delivery transactions. */
  readonly db?: Database
  readonly onGeofenceEvent?: (event: GeofenceEvent) => void
}

export interface FleetServices {
  readonly maintenance: MaintenanceStore
  readonly objects: ObjectStore
  readonly zone: Zone
  readonly consumers: FleetConsumers
  /** Root and prefix the position events are archived under (for `readArchivePositions`). */
  readonly archiveRoot: string
  readonly archivePrefix: string
  readonly objectPrefix: string
  /** Delivers the buffered archive objects now. */
  flush(): Promise<void>
  close(): Promise<void>
}

/**
 * The fleet half of the cloud from its validated config: maintenance store and object store adapters, the
 * position-event archive (a delivery stream of its own, as the reference architecture's Firehose target), and
 * the enrichment, archive and geofence consumers on the bus. The composition root calls this once.
 */
export async function startFleetServices(config: Readonly<CloudFleetConfig>, deps: FleetServicesDeps): Promise<FleetServices> {
  const at = (p: string) => (isAbsolute(p) ? p : join(deps.dataDir, p))
  const log = deps.logger.child({ component: 'fleet' })
  const region = deps.awsRegion ? { region: deps.awsRegion } : {}
  const maintenance =
    config.maintenance.adapter === 'dynamodb'
      ? createDynamoDbMaintenanceStore({
          tableName: config.maintenance.tableName,
          cacheTtlMs: config.maintenance.cacheTtlMs,
          client: region,
        })
      : createSqliteMaintenanceStore(at(config.maintenance.sqliteFile))
  let objects: ObjectStore
  if (config.objects.adapter === 's3') {
    if (!config.objects.bucket) throw new FleetError('CLOUD_OBJECT_STORE_FAILED', 'fleet.objects.bucket is required with the s3 adapter')
    objects = createS3ObjectStore({ bucket: config.objects.bucket, client: region })
  } else {
    objects = createLocalObjectStore(at(config.objects.root))
  }
  const zone = config.zoneFile ? loadZoneFile(at(config.zoneFile)) : defaultZone()
  const archive = createLocalArchiveStream({
    root: deps.archiveRoot,
    prefix: config.archivePrefix,
    streamName: 'edgetwin-position-events',
    logger: log.child({ component: 'position-archive' }),
    partitionKey: positionEventPartitionKey,
    ...(deps.db ? { db: deps.db } : {}),
    ...(deps.archiveBufferIntervalMs !== undefined ? { bufferIntervalMs: deps.archiveBufferIntervalMs } : {}),
    ...(deps.archiveBufferSizeBytes !== undefined ? { bufferSizeBytes: deps.archiveBufferSizeBytes } : {}),
  })
  await archive.start()
  const consumers = startFleetConsumers({
    bus: deps.bus,
    maintenance,
    objects,
    objectPrefix: config.objects.prefix,
    archive,
    zone,
    minDwellS: config.geofence.minDwellS,
    logger: log,
    ...(deps.onGeofenceEvent ? { onGeofenceEvent: deps.onGeofenceEvent } : {}),
  })
  let closed = false
  return {
    maintenance,
    objects,
    zone,
    consumers,
    archiveRoot: deps.archiveRoot,
    archivePrefix: config.archivePrefix,
    objectPrefix: config.objects.prefix,
    flush: () => archive.flush(),
    async close() {
      if (closed) return
      closed = true
      await consumers.close()
      await archive.close()
      await objects.close()
      await maintenance.close()
    },
  }
}
