import { STREAMS, type StreamName } from '@edgetwin/shared-schemas'
import type Database from 'better-sqlite3'
import type { SalvagedOutbox } from './salvage.js'
import { rowId, seqOf } from './schema.js'
import type { OutboxStatements } from './statements.js'
import type { QuarantineEntry } from './types.js'

/** Every quarantined batch, oldest first (without its records). */
export function listQuarantine(db: Database.Database): QuarantineEntry[] {
  const rows = db.prepare('SELECT stream, first_seq, last_seq, record_count, reason_code, reason FROM quarantine ORDER BY id').all() as {
    stream: StreamName
    first_seq: number
    last_seq: number
    record_count: number
    reason_code: number | null
    reason: string
  }[]
  return rows.map((r) => ({
    stream: r.stream,
    firstSeq: r.first_seq,
    lastSeq: r.last_seq,
    recordCount: r.record_count,
    reasonCode: r.reason_code,
    reason: r.reason,
  }))
}

/**
 * Writes what was salvaged from a damaged outbox (rows with their ids, quarantine, agent state) into a fresh one,
 * and each stream's next seq: `nextSeqOf(stream)`. Call inside a transaction.
 */
export function writeSalvaged(
  db: Database.Database,
  stmt: OutboxStatements,
  data: SalvagedOutbox,
  nextSeqOf: (s: StreamName) => number,
): void {
  const insert = db.prepare('INSERT OR IGNORE INTO outbox (id, created_ms, bytes, data) VALUES (?, ?, ?, ?)')
  for (const r of data.rows) insert.run(r.id, r.createdMs, r.bytes, r.data)
  for (const e of data.quarantine) {
    stmt.quarantine.run(e.stream, e.first_seq, e.last_seq, e.record_count, e.reason_code, e.reason, e.quarantined_ms, e.records)
  }
  for (const [key, value] of data.state) stmt.saveState.run(key, value)
  for (const s of STREAMS) stmt.saveSeq.run(s, nextSeqOf(s))
}

/**
 * Copies the stored rows of `entry`'s range into one quarantine row (the records as `[{seq, data}]`); returns how
 * many rows it holds (0 when the range is gone). The caller deletes the range, in the same transaction.
 */
export function quarantineRange(stmt: OutboxStatements, entry: Omit<QuarantineEntry, 'recordCount'>, nowMs: number): number {
  const rows = stmt.readRange.all(rowId(entry.stream, entry.firstSeq), rowId(entry.stream, entry.lastSeq)) as { id: number; data: string }[]
  if (rows.length === 0) return 0
  const records = `[${rows.map((r) => `{"seq":${seqOf(r.id)},"data":${r.data}}`).join(',')}]`
  stmt.quarantine.run(entry.stream, entry.firstSeq, entry.lastSeq, rows.length, entry.reasonCode, entry.reason, nowMs, records)
  return rows.length
}

/**
 * Copies one damaged row into quarantine, its text kept as a JSON string (it may not be JSON any more); false when
 * the row is gone. The caller deletes it, in the same transaction.
 */
export function quarantineDamagedRow(stmt: OutboxStatements, stream: StreamName, seq: number, reason: string, nowMs: number): boolean {
  const row = stmt.readRange.get(rowId(stream, seq), rowId(stream, seq)) as { data: string } | undefined
  if (!row) return false
  stmt.quarantine.run(stream, seq, seq, 1, null, reason, nowMs, JSON.stringify([{ seq, damaged: row.data }]))
  return true
}
