import type { Database } from 'better-sqlite3'
import type { Logger } from 'pino'
import type { PositionEventBus, PositionEventOutbox } from '../../event-bus.js'
import { NOTHING_REJECTED, type SinkWriteResult } from '../sink-result.js'
import { passesDistanceFilter } from './distance.js'
import { toPositionEvent } from './position-event.js'
import type { DevicePositionUpdate, PositionHistoryQuery, PositionTracker, StoredDevicePosition } from './position-tracker.js'

export interface LocalPositionTrackerOptions {
  readonly db: Database
  readonly bus: PositionEventBus
  /**
   * A durable bus on the same database: each stored position's event is recorded in the transaction that stores
   * the position (and, through `updateInTransaction`, the router's high-water mark), so no crash loses or repeats it.
   */
  readonly outbox?: PositionEventOutbox
  readonly logger: Logger
  /** @default 'edgetwin-tracker' */
  readonly trackerName?: string
  /** Amazon Location's DistanceBased filter threshold. @default 30 */
  readonly distanceFilterM?: number
  /** @default '000000000000' */
  readonly account?: string
  /** @default 'local' */
  readonly region?: string
  /** @default () => new Date() */
  readonly now?: () => Date
}

interface Row {
  device_id: string
  sample_time: string
  received_time: string
  lon: number
  lat: number
  accuracy_m: number | null
}

const toStored = (r: Row): StoredDevicePosition => ({
  deviceId: r.device_id,
  sampleTime: r.sample_time,
  receivedTime: r.received_time,
  position: [r.lon, r.lat],
  ...(r.accuracy_m !== null ? { accuracyM: r.accuracy_m } : {}),
})

/**
 * A tracker with Amazon Location semantics in SQLite: distance-based filtering against the last stored position,
 * and a Location Device Position Event on the bus for each stored position.
 */
export function createLocalPositionTracker(options: LocalPositionTrackerOptions): PositionTracker & {
  /** Stores inside the caller's transaction on the tracker's database (the router's mark commits with it). */
  updateInTransaction(updates: readonly DevicePositionUpdate[]): SinkWriteResult
  /** The caller's transaction rolled back after `updateInTransaction` returned: forget the positions it cached. */
  forgetCached(): void
} {
  const { db, bus, logger } = options
  const trackerName = options.trackerName ?? 'edgetwin-tracker'
  const distanceFilterM = options.distanceFilterM ?? 30
  const ctx = { trackerName, account: options.account ?? '000000000000', region: options.region ?? 'local' }
  const now = options.now ?? (() => new Date())
  db.exec(`CREATE TABLE IF NOT EXISTS tracker_positions (
    tracker TEXT NOT NULL, device_id TEXT NOT NULL, sample_time TEXT NOT NULL, received_time TEXT NOT NULL,
    lon REAL NOT NULL, lat REAL NOT NULL, accuracy_m REAL)`)
  db.exec('CREATE INDEX IF NOT EXISTS tracker_positions_device ON tracker_positions (tracker, device_id, sample_time)')
  const insert = db.prepare(
    'INSERT INTO tracker_positions (tracker, device_id, sample_time, received_time, lon, lat, accuracy_m) VALUES (?, ?, ?, ?, ?, ?, ?)',
  )
  const lastStmt = db.prepare('SELECT lon, lat FROM tracker_positions WHERE tracker = ? AND device_id = ? ORDER BY rowid DESC LIMIT 1')
  const historyStmt = db.prepare(
    `SELECT * FROM tracker_positions WHERE tracker = ? AND device_id = ? AND sample_time >= ? AND sample_time < ? ORDER BY sample_time, rowid`,
  )
  const latestStmt = db.prepare(
    `SELECT * FROM tracker_positions WHERE rowid IN (SELECT MAX(rowid) FROM tracker_positions WHERE tracker = ? GROUP BY device_id)
     ORDER BY device_id`,
  )
  // The tracker is the only writer of its rows, so the last stored position can be cached.
  const last = new Map<string, readonly [number, number]>()
  const lastStored = (deviceId: string): readonly [number, number] | undefined => {
    let p = last.get(deviceId)
    if (!p) {
      const row = lastStmt.get(trackerName, deviceId) as { lon: number; lat: number } | undefined
      if (row) {
        p = [row.lon, row.lat]
        last.set(deviceId, p)
      }
    }
    return p
  }
  const storeRows = (updates: readonly DevicePositionUpdate[], receivedTime: string): StoredDevicePosition[] => {
    const stored: StoredDevicePosition[] = []
    try {
      for (const u of updates) {
        if (!passesDistanceFilter(lastStored(u.deviceId), u.position, distanceFilterM)) continue
        insert.run(trackerName, u.deviceId, u.sampleTime, receivedTime, u.position[0], u.position[1], u.accuracyM ?? null)
        last.set(u.deviceId, u.position)
        const s: StoredDevicePosition = {
          deviceId: u.deviceId,
          sampleTime: u.sampleTime,
          receivedTime,
          position: u.position,
          ...(u.accuracyM !== undefined ? { accuracyM: u.accuracyM } : {}),
        }
        options.outbox?.enqueue(toPositionEvent(s, ctx))
        stored.push(s)
      }
    } catch (err) {
      // The transaction rolls back: forget cached positions that may not have been stored.
      last.clear()
      throw err
    }
    return stored
  }
  const store = db.transaction(storeRows)
  return {
    trackerName,
    forgetCached() {
      last.clear()
    },
    updateInTransaction(updates) {
      storeRows(updates, now().toISOString())
      return { written: updates.length, rejected: NOTHING_REJECTED }
    },
    async update(updates) {
      const stored = store(updates, now().toISOString())
      if (options.outbox) return { written: updates.length, rejected: NOTHING_REJECTED }
      for (const s of stored) {
        // EventBridge delivers to each target independently and a target failure never fails the tracker's
        // update; the failure is reported here, where the local "EventBridge" would record a failed invocation.
        await bus.publish(toPositionEvent(s, ctx)).catch((err: unknown) => {
          logger.error({ err, deviceId: s.deviceId, sampleTime: s.sampleTime }, 'position event consumer failed')
        })
      }
      return { written: updates.length, rejected: NOTHING_REJECTED } satisfies SinkWriteResult
    },
    async history(query: PositionHistoryQuery) {
      const rows = historyStmt.all(trackerName, query.deviceId, query.from ?? '', query.to ?? '9999') as Row[]
      return rows.map(toStored)
    },
    async latest() {
      return (latestStmt.all(trackerName) as Row[]).map(toStored)
    },
    async close() {},
  }
}
