import { createHash } from 'node:crypto'
import Database from 'better-sqlite3'

/** Everything that led to one decision, so an engineer can audit and reproduce it. */
export interface DecisionRecord {
  readonly id: string
  readonly createdAt: string
  readonly deviceId: string
  /** Measured conditions: window, mean wind, turbulence intensity, alarm counts. */
  readonly conditions: Record<string, unknown>
  /** SHA-256 of the canonical JSON of the inputs (conditions, parameters in force, candidates, seeds). */
  readonly inputsHash: string
  readonly engine: string
  readonly engineVersion: string
  readonly seeds: readonly number[]
  /** Per controller: simulation ids and post-processed metrics. */
  readonly results: unknown
  readonly decision: {
    action: 'update' | 'none'
    candidate?: string
    reason: string
    patch?: Record<string, number>
    /** Version of the job document sent (or that would have been sent). */
    documentVersion?: number
  }
  readonly jobId: string | null
}

/** Canonical JSON: keys sorted at every level, so that equal inputs hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  )
}

export function hashInputs(inputs: unknown): string {
  return createHash('sha256').update(canonicalJson(inputs)).digest('hex')
}

/** Append-only provenance of twin decisions (SQLite locally). */
export class ProvenanceStore {
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

  list(options: { deviceId?: string; limit?: number } = {}): DecisionRecord[] {
    const rows = options.deviceId
      ? this.db
          .prepare('SELECT record FROM twin_decisions WHERE device_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?')
          .all(options.deviceId, options.limit ?? 100)
      : this.db.prepare('SELECT record FROM twin_decisions ORDER BY created_at DESC, rowid DESC LIMIT ?').all(options.limit ?? 100)
    return (rows as { record: string }[]).map((r) => JSON.parse(r.record) as DecisionRecord)
  }

  close(): void {
    this.db.close()
  }
}
