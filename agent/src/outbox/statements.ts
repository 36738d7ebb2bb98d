import type Database from 'better-sqlite3'

/** The outbox's prepared statements, and the page size they were prepared for. */
export interface OutboxStatements {
  readonly insert: Database.Statement
  readonly saveSeq: Database.Statement
  readonly deleteRange: Database.Statement
  readonly rangeTotals: Database.Statement
  readonly oldestRows: Database.Statement
  readonly readBatch: Database.Statement
  readonly readRange: Database.Statement
  readonly oldest: Database.Statement
  readonly streamStats: Database.Statement
  readonly freePages: Database.Statement
  readonly saveState: Database.Statement
  readonly quarantine: Database.Statement
  readonly pageSize: number
}

/** Compiles the outbox's statements once per open database. */
export function prepareStatements(db: Database.Database): OutboxStatements {
  return {
    insert: db.prepare('INSERT INTO outbox (id, created_ms, bytes, data) VALUES (?, ?, ?, ?)'),
    saveSeq: db.prepare(
      'INSERT INTO streams (stream, next_seq) VALUES (?, ?) ON CONFLICT(stream) DO UPDATE SET next_seq = excluded.next_seq',
    ),
    // Count and bytes summed by SQLite, then a plain DELETE: ~30 % less than `RETURNING bytes`, which handed every
    // deleted row's size to JavaScript (measured on 100,000 rows deleted 475 at a time).
    deleteRange: db.prepare('DELETE FROM outbox WHERE id BETWEEN ? AND ?'),
    rangeTotals: db.prepare('SELECT count(*), total(bytes) FROM outbox WHERE id BETWEEN ? AND ?').raw(),
    oldestRows: db.prepare('SELECT id, bytes, created_ms FROM outbox WHERE id BETWEEN ? AND ? ORDER BY id LIMIT ?'),
    readBatch: db.prepare('SELECT id, data, bytes FROM outbox WHERE id > ? AND id <= ? ORDER BY id LIMIT ?').raw(),
    readRange: db.prepare('SELECT id, data FROM outbox WHERE id BETWEEN ? AND ? ORDER BY id'),
    oldest: db.prepare('SELECT created_ms FROM outbox WHERE id BETWEEN ? AND ? ORDER BY id LIMIT 1').pluck(),
    streamStats: db.prepare('SELECT count(*) AS n, sum(bytes) AS b, max(id) AS maxId FROM outbox WHERE id BETWEEN ? AND ?'),
    freePages: db.prepare('PRAGMA freelist_count').pluck(),
    pageSize: db.pragma('page_size', { simple: true }) as number,
    saveState: db.prepare('INSERT INTO agent_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
    quarantine: db.prepare(
      'INSERT INTO quarantine (stream, first_seq, last_seq, record_count, reason_code, reason, quarantined_ms, records) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
  }
}
