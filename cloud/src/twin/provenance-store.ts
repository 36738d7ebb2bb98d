import Database from 'better-sqlite3'
import type { DecisionLog, DecisionLogListOptions, DecisionRecord } from './decision-log.js'

/** Append-only provenance of twin decisions: the local DecisionLog adapter (SQLite; the S3 one is object-decision-log.ts). */
export class ProvenanceStore implements DecisionLog {
  private readonly db: Database.Database

  constructor(path: string) {
    this.db = new Database(path)
    this.db.pragma('journal_mode = WAL')
    this.db.exec(`CREATE TABLE IF NOT EXISTS twin_decisions (
      id TEXT PRIMARY KEY,
      created_at TEXT NOT NULL,
      device_id TEXT NOT NULL,
      record TEXT NOT NULL
    ) STRICT;
    CREATE TRIGGER IF NOT EXISTS twin_decisions_no_update BEFORE UPDATE ON twin_decisions
      BEGIN SELECT RAISE(ABORT, 'twin_decisions is append-only'); END;
    CREATE TRIGGER IF NOT EXISTS twin_decisions_no_delete BEFORE DELETE ON twin_decisions
      BEGIN SELECT RAISE(ABORT, 'twin_decisions is append-only'); END;`)
  }

  append(record: DecisionRecord): void {
    this.db
      .prepare('INSERT INTO twin_decisions (id, created_at, device_id, record) VALUES (?, ?, ?, ?)')
      .run(record.id, record.createdAt, record.deviceId, JSON.stringify(record))
  }

  list(options: DecisionLogListOptions = {}): DecisionRecord[] {
    const rows = options.deviceId
      ? this.db
          .prepare('SELECT record FROM twin_decisions WHERE device_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?')
          .all(options.deviceId, options.limit ?? 100)
      : this.db.prepare('SELECT record FROM twin_decisions ORDER BY created_at DESC, rowid DESC LIMIT ?').all(options.limit ?? 100)
    return (rows as { record: string }[]).map((r) => JSON.parse(r.record) as DecisionRecord)
  }

  /** The record with this id, or undefined. */
  get(id: string): DecisionRecord | undefined {
    const row = this.db.prepare('SELECT record FROM twin_decisions WHERE id = ?').get(id) as { record: string } | undefined
    return row ? (JSON.parse(row.record) as DecisionRecord) : undefined
  }

  close(): void {
    this.db.close()
  }
}
