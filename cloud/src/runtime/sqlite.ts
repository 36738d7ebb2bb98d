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
  return db
}
