import Database from 'better-sqlite3'

/**
 * Opens a SQLite file for the cloud's local stores: WAL so readers (analytics, the detector) never block the
 * router, and synchronous=NORMAL, which in WAL mode is durable against a process crash (SQLite docs, "WAL mode").
 */
export function openCloudDatabase(path: string): Database.Database {
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('busy_timeout = 5000')
  // 64 MiB page cache: the router appends to many devices' key ranges at once, which the 2 MiB default thrashes.
  db.pragma('cache_size = -65536')
  return db
}
