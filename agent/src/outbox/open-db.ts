import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { AgentError } from '../errors.js'
import { DDL, SCHEMA_VERSION } from './schema.js'
import { translateSqliteError } from './sqlite-errors.js'
import type { OutboxOptions } from './types.js'

/**
 * Opens (creating if needed) and locks the outbox database, schema in place. Under `synchronous: 'FULL'` the
 * connection is left at NORMAL once the schema is committed: the outbox syncs the WAL itself after each commit
 * that holds records (wal-sync.ts), so accepted still means durable. Throws AGENT_DB_LOCKED when another agent
 * holds the file.
 */
export function openOutboxDatabase(options: OutboxOptions): Database.Database {
  mkdirSync(dirname(options.path), { recursive: true })
  let db: Database.Database | undefined
  try {
    db = new Database(options.path, { timeout: 0 })
    // EXCLUSIVE before WAL: the lock is taken on first access and held until close, and WAL needs no
    // shared-memory index ("WAL without shared memory", SQLite WAL docs). The OS drops the lock if we die.
    db.pragma('locking_mode = EXCLUSIVE')
    const mode = db.pragma('journal_mode = WAL', { simple: true })
    if (mode !== 'wal') throw new AgentError('AGENT_DB_ERROR', `could not switch ${options.path} to WAL (got ${String(mode)})`)
    db.pragma(`synchronous = ${options.synchronous}`)
    // SQLite's own 2 MiB page cache, not better-sqlite3's 16 MB build default: the outbox appends at one end and
    // reads and deletes at the other, so a bigger cache only made a backlog cost memory (+17 MB at 1M rows).
    db.pragma('cache_size = -2000')
    if (options.maxPageCount) db.pragma(`max_page_count = ${options.maxPageCount}`)
    db.exec('BEGIN IMMEDIATE')
    db.exec(DDL)
    db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run('schemaVersion', String(SCHEMA_VERSION))
    db.exec('COMMIT')
    if (options.synchronous === 'FULL') db.pragma('synchronous = NORMAL')
    return db
  } catch (err) {
    db?.close()
    const e = translateSqliteError(err, `opening outbox ${options.path}`)
    if (e.code === 'AGENT_DB_LOCKED') {
      throw new AgentError('AGENT_DB_LOCKED', `outbox ${options.path} is in use by another agent process; only one agent may own it`, {
        cause: err,
      })
    }
    throw e
  }
}
