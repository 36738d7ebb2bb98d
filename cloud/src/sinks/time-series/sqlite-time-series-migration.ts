import { existsSync, rmSync } from 'node:fs'
import type { Database } from 'better-sqlite3'
import type { Logger } from 'pino'
import { CloudError } from '../../errors.js'

const COLUMNS = 'device_id, measurement, time_ms, seq, dimensions, measures, alarms'

/**
 * Moves the points of a time series file of its own (`timeseries.db`, how the cloud kept them before they moved into
 * `ingest.db`) into `db`'s `ts_points`, then deletes that file. Run once at start, before anything routes.
 *
 * Crash-safe without a journal of its own: the copy is one transaction in `db` (a crash before its commit leaves
 * `db` as it was and the old file whole, so the next start copies again), and `INSERT OR IGNORE` on the points'
 * unique key (device, measurement, time, seq) makes a second copy after a crash between that commit and the
 * delete add nothing. The old file is deleted only after the commit. Returns the points copied (0 when no file).
 */
export function migrateTimeSeriesFile(db: Database, oldPath: string, logger: Logger): number {
  if (!existsSync(oldPath)) return 0
  logger.info({ from: oldPath }, 'moving the time series into ingest.db')
  let copied = 0
  db.prepare('ATTACH DATABASE ? AS legacy_ts').run(oldPath)
  try {
    const hasTable = db.prepare("SELECT 1 FROM legacy_ts.sqlite_master WHERE type = 'table' AND name = 'ts_points'").get() !== undefined
    if (hasTable) {
      copied = db.transaction(
        () => db.prepare(`INSERT OR IGNORE INTO main.ts_points (${COLUMNS}) SELECT ${COLUMNS} FROM legacy_ts.ts_points`).run().changes,
      )()
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
