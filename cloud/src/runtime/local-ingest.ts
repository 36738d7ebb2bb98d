import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { DecodeLimits } from '@edgetwin/shared-schemas'
import type Database from 'better-sqlite3'
import type { Logger } from 'pino'
import type { PositionEventBus } from '../event-bus.js'
import type { DeadLetterStore } from '../router/dead-letter-store.js'
import type { HighWaterMarkStore } from '../router/high-water-mark.js'
import { createRouter, type Router } from '../router/router.js'
import { createSqliteDeadLetterStore } from '../router/sqlite-dead-letter-store.js'
import { createSqliteHighWaterMarkStore } from '../router/sqlite-high-water-mark.js'
import type { ArchiveStream } from '../sinks/archive/archive-stream.js'
import { createLocalArchiveStream, type LocalArchiveStream } from '../sinks/archive/local-archive-stream.js'
import type { DeviceStatusStore } from '../sinks/device-status/device-status-store.js'
import { createSqliteDeviceStatusStore } from '../sinks/device-status/sqlite-device-status-store.js'
import { createLocalPositionTracker } from '../sinks/position-tracker/local-position-tracker.js'
import type { PositionTracker } from '../sinks/position-tracker/position-tracker.js'
import { migrateTimeSeriesFile } from '../sinks/time-series/sqlite-time-series-migration.js'
import { createSqliteTimeSeriesStore, type SqliteTimeSeriesStore } from '../sinks/time-series/sqlite-time-series-store.js'
import type { TimeSeriesReader, TimeSeriesWriter } from '../sinks/time-series/time-series-store.js'
import { createDurableEventBus, type DurableEventBus, type EventRetryPolicy } from './durable-event-bus.js'
import { openCloudDatabase } from './sqlite.js'

export interface LocalIngestOptions {
  readonly dataDir: string
  /**
   * An in-memory bus the tracker publishes to after each write (tests, the demo). @default a durable bus in
   * `ingest.db`, written in the tracker's transaction, with EventBridge-like retries and dead letters
   */
  readonly bus?: PositionEventBus
  /** The durable bus's retry policy. */
  readonly eventRetry?: EventRetryPolicy
  readonly logger: Logger
  readonly limits?: DecodeLimits
  readonly trackerName?: string
  readonly distanceFilterM?: number
  readonly archivePrefix?: string
  readonly archiveBufferSizeBytes?: number
  readonly archiveBufferIntervalMs?: number
  readonly now?: () => Date
  /** Adapters chosen by configuration instead of the local ones (Location, Timestream/InfluxDB, Firehose). */
  readonly overrides?: {
    readonly tracker?: PositionTracker
    readonly timeSeries?: TimeSeriesWriter & Partial<TimeSeriesReader>
    readonly archive?: ArchiveStream
  }
}

/** The router wired to every local adapter, files under `dataDir`. */
export interface LocalIngest {
  readonly router: Router
  /** The bus position events go to: the one passed in, or the durable one. */
  readonly bus: PositionEventBus
  /** The durable bus, when no bus was passed in (its health: deliveries pending, retries, dead letters). */
  readonly events: DurableEventBus | undefined
  readonly tracker: PositionTracker
  readonly timeSeries: TimeSeriesWriter
  /** The store the detector and analytics read; absent when the configured store is write-only here (Timestream). */
  readonly timeSeriesReader: TimeSeriesReader | undefined
  readonly archive: ArchiveStream
  readonly deviceStatus: DeviceStatusStore
  readonly marks: HighWaterMarkStore
  readonly deadLetters: DeadLetterStore
  /** Where archive objects are written (`<archiveRoot>/<prefix>/<DeviceId>/yyyy/MM/dd/…gz`). */
  readonly archiveRoot: string
  /** `ingest.db`: marks, tracker, position events, archive spool, device status, dead letters and the local time series. */
  readonly databases: { readonly ingest: Database.Database }
  start(): Promise<void>
  close(): Promise<void>
}

/**
 * WAL pages (4 KiB) after which a commit checkpoints them into the database file; SQLite's default is 1,000. The
 * router rewrites the same pages at every envelope (each device's last table and index pages, the marks), and a
 * checkpoint copies a page once however often the WAL holds it: at 16,000 pages (a WAL of up to 64 MiB)
 * bench:router did ~8 % more records per CPU-second than at 1,000, its final checkpoint counted in both (issue #17).
 * Durability is the WAL's either way; the cost is disk for the WAL and a longer checkpoint when one falls due.
 */
const WAL_CHECKPOINT_PAGES = 16_000

export function createLocalIngest(options: LocalIngestOptions): LocalIngest {
  mkdirSync(options.dataDir, { recursive: true })
  const ingestDb = openCloudDatabase(join(options.dataDir, 'ingest.db'))
  ingestDb.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`)
  const logger = options.logger
  const o = options.overrides ?? {}
  const events = options.bus
    ? undefined
    : createDurableEventBus({
        db: ingestDb,
        logger: logger.child({ component: 'events' }),
        ...(options.eventRetry ? { retry: options.eventRetry } : {}),
      })
  const bus: PositionEventBus = options.bus ?? events!
  const localTracker = o.tracker
    ? undefined
    : createLocalPositionTracker({
        db: ingestDb,
        bus,
        ...(events ? { outbox: events } : {}),
        logger: logger.child({ component: 'tracker' }),
        ...(options.trackerName ? { trackerName: options.trackerName } : {}),
        ...(options.distanceFilterM !== undefined ? { distanceFilterM: options.distanceFilterM } : {}),
        ...(options.now ? { now: options.now } : {}),
      })
  const tracker: PositionTracker = o.tracker ?? localTracker!
  // The local time series lives in ingest.db, written in the envelope's transaction with its mark: one commit per
  // envelope instead of a second database's commit and WAL (issue #17). A data directory from before, with its own
  // timeseries.db, has it moved in once, here, before anything routes.
  let localTimeSeries: SqliteTimeSeriesStore | undefined
  if (!o.timeSeries) {
    localTimeSeries = createSqliteTimeSeriesStore(ingestDb)
    migrateTimeSeriesFile(ingestDb, join(options.dataDir, 'timeseries.db'), localTimeSeries, logger.child({ component: 'time-series' }))
  }
  const timeSeries = o.timeSeries ?? localTimeSeries!
  const timeSeriesReader: TimeSeriesReader | undefined =
    timeSeries.range && timeSeries.windows && timeSeries.alarmCounts && timeSeries.devices ? (timeSeries as TimeSeriesReader) : undefined
  const archiveRoot = join(options.dataDir, 'objects')
  const localArchive: LocalArchiveStream | undefined = o.archive
    ? undefined
    : createLocalArchiveStream({
        root: archiveRoot,
        db: ingestDb,
        logger: logger.child({ component: 'archive' }),
        ...(options.archivePrefix !== undefined ? { prefix: options.archivePrefix } : {}),
        ...(options.archiveBufferSizeBytes !== undefined ? { bufferSizeBytes: options.archiveBufferSizeBytes } : {}),
        ...(options.archiveBufferIntervalMs !== undefined ? { bufferIntervalMs: options.archiveBufferIntervalMs } : {}),
        ...(options.now ? { now: options.now } : {}),
      })
  const archive: ArchiveStream = o.archive ?? localArchive!
  const deviceStatus = createSqliteDeviceStatusStore(ingestDb)
  const marks = createSqliteHighWaterMarkStore(ingestDb)
  const deadLetters = createSqliteDeadLetterStore(ingestDb)
  const router = createRouter({
    sinks: { tracker, timeSeries, archive, deviceStatus },
    marks,
    deadLetters,
    // Exactly once without relying on idempotency: tracker rows (with their position events, when the bus is the
    // durable one), archive spool rows and time series points commit with the high-water marks in ingest.db, one
    // commit per envelope.
    inTransaction: {
      ...(localTracker && events
        ? {
            tracker: (u: Parameters<typeof localTracker.updateInTransaction>[0]) => localTracker.updateInTransaction(u),
            rolledBack: () => localTracker.forgetCached(),
          }
        : {}),
      ...(localArchive
        ? { archive: (l: Parameters<typeof localArchive.appendLinesInTransaction>[0]) => localArchive.appendLinesInTransaction(l) }
        : {}),
      ...(localTimeSeries
        ? { timeSeries: (p: Parameters<SqliteTimeSeriesStore['writeInTransaction']>[0]) => localTimeSeries.writeInTransaction(p) }
        : {}),
    },
    logger: logger.child({ component: 'router' }),
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.now ? { now: options.now } : {}),
  })
  let closed = false
  return {
    router,
    bus,
    events,
    tracker,
    timeSeries,
    timeSeriesReader,
    archive,
    deviceStatus,
    marks,
    deadLetters,
    archiveRoot,
    databases: { ingest: ingestDb },
    start: async () => {
      await localArchive?.start()
      await events?.start()
    },
    async close() {
      if (closed) return
      closed = true
      for (const c of [events, archive, tracker, timeSeries, deviceStatus, marks, deadLetters]) await c?.close()
      ingestDb.close()
    },
  }
}
