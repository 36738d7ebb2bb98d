import { existsSync, rmSync } from 'node:fs'
import type { Database } from 'better-sqlite3'
import type { Logger } from 'pino'
import { CloudError } from '../../errors.js'
import { copyLegacyPoints } from './sqlite-time-series-legacy.js'
import type { SqliteTimeSeriesStore } from './sqlite-time-series-store.js'

/**
 * Moves the points of a time series file of its own (`timeseries.db`, how the cloud kept them before they moved into
 * `ingest.db`) into `store` on `db`, then deletes that file. Run once at start, before anything routes.
 *
 * Crash-safe without a journal of its own: the copy is one transaction in `db` (a crash before its commit leaves
 * `db` as it was and the old file whole, so the next start copies again), and the store keeps points unique on
 * (device, measurement, time, seq), so a second copy after a crash between that commit and the delete adds
 * nothing. The old file is deleted only after the commit. Returns the points read from it (0 when no file).
 */
export function migrateTimeSeriesFile(db: Database, oldPath: string, store: SqliteTimeSeriesStore, logger: Logger): number {
  if (!existsSync(oldPath)) return 0
  logger.info({ from: oldPath }, 'moving the time series into ingest.db')
  let copied = 0
  db.prepare('ATTACH DATABASE ? AS legacy_ts').run(oldPath)
  try {
    const hasTable = db.prepare("SELECT 1 FROM legacy_ts.sqlite_master WHERE type = 'table' AND name = 'ts_points'").get() !== undefined
    if (hasTable) {
      copied = db.transaction(() => copyLegacyPoints(db, 'legacy_ts', (points) => store.writeInTransaction(points)))()
    }
  } catch (err) {
    throw new CloudError('CLOUD_TIME_SERIES_MIGRATION_FAILED', `could not move the points of ${oldPath} into ingest.db`, { cause: err })
  } finally {
    db.exec('DETACH DATABASE legacy_ts')
  }
  // The points are committed in db: the old file (and its WAL, whose frames the copy read) can go in any order.
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${oldPath}${suffix}`, { force: true })
  logger.info({ from: oldPath, copied }, 'time series moved into ingest.db')
  return copied
}
