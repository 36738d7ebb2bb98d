import { STREAMS, type StreamName } from '@edgetwin/shared-schemas'
import { MAX_SEQ, rowId, seqOf } from './schema.js'
import type { OutboxStatements } from './statements.js'

/** What eviction and expiry need of the outbox: its statements, per-stream counts and its counted range delete. */
export interface EvictionTarget {
  readonly stmt: OutboxStatements
  count(stream: StreamName): number
  /** Deletes a seq range of `stream`, keeping the per-stream counts; returns the rows deleted. */
  deleteRange(stream: StreamName, firstSeq: number, lastSeq: number): number
}

/**
 * Drops the oldest rows of the lowest-priority stream first (`streams` in eviction order) until `needBytes` are
 * freed; returns the count. Call inside the committing transaction.
 */
export function evictOldest(t: EvictionTarget, streams: readonly StreamName[], needBytes: number): number {
  let freed = 0
  let evicted = 0
  for (const stream of streams) {
    const lo = rowId(stream, 0)
    while (freed < needBytes && t.count(stream) > 0) {
      const rows = t.stmt.oldestRows.all(lo, lo + MAX_SEQ, 256) as { id: number; bytes: number }[]
      let lastId = lo
      for (const r of rows) {
        freed += r.bytes
        lastId = r.id
        if (freed >= needBytes) break
      }
      evicted += t.deleteRange(stream, 1, seqOf(lastId))
    }
    if (freed >= needBytes) break
  }
  return evicted
}

/** Deletes rows committed before `cutoffMs` (oldest first, per stream); returns how many. Call inside a transaction. */
export function expireOlderThan(t: EvictionTarget, cutoffMs: number): number {
  let expired = 0
  for (const stream of STREAMS) {
    const lo = rowId(stream, 0)
    for (;;) {
      // created_ms grows with seq (assigned at commit), so the expired rows are a prefix.
      const rows = t.stmt.oldestRows.all(lo, lo + MAX_SEQ, 1000) as { id: number; created_ms: number }[]
      let lastId = -1
      for (const r of rows) {
        if (r.created_ms >= cutoffMs) break
        lastId = r.id
      }
      if (lastId < 0) break
      expired += t.deleteRange(stream, 1, seqOf(lastId))
      if (lastId !== rows[rows.length - 1]!.id) break
    }
  }
  return expired
}
