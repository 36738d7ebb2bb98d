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
  // 8 MiB page cache (~2,000 pages): room for the page each device's key range is appended to, for about a thousand
  // devices per file. Not more: at every commit SQLite walks the cache's page hash (pcache1TruncateUnsafe), which at
  // 64 MiB cost 3-5 % of the router's CPU in `perf` (bench:router, issue #17).
  db.pragma('cache_size = -8192')
  return db
}
