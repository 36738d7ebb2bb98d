import type { StreamName } from '@edgetwin/shared-schemas'
import type { AgentError } from '../errors.js'
import type { SyncFn } from './wal-sync.js'

export interface OutboxOptions {
  readonly path: string
  /** FULL: a committed record survives power loss. NORMAL in WAL mode survives process crashes only (SQLite "WAL" docs). */
  readonly synchronous: 'FULL' | 'NORMAL'
  readonly maxBytes: number
  readonly maxAgeMs?: number
  readonly eviction: 'drop-oldest' | 'reject-new'
  /** First evicted first; streams not listed are evicted after those listed. */
  readonly evictionOrder: readonly string[]
  /** Caps the database size (SQLite `max_page_count`); used to exercise the disk-full path. */
  readonly maxPageCount?: number
  readonly now?: () => number
  /** How the WAL is synced under FULL (default `fs.fdatasync`); tests inject a slow or failing one. */
  readonly sync?: SyncFn
}

export interface InsertRequest {
  readonly stream: StreamName
  readonly data: string
  readonly bytes: number
  /** Agent state committed together with this record (e.g. the distance filter's last kept position). */
  readonly state?: { readonly key: string; readonly value: string } | undefined
}

export interface SeqRange {
  readonly stream: StreamName
  readonly firstSeq: number
  readonly lastSeq: number
}

export interface OutboxRow {
  readonly seq: number
  readonly data: string
  readonly bytes: number
}

export interface CommitResult {
  /** Per insert request, in order: its sequence number, or the coded error that refused it. */
  readonly results: (number | AgentError)[]
  readonly evicted: number
  readonly deleted: number
  /**
   * Under `synchronous: 'FULL'`, when records were stored: settles when the WAL sync covering this commit does.
   * The records count as accepted only once it resolves; it rejects with AGENT_IO_ERROR or AGENT_DISK_FULL.
   */
  readonly durable?: Promise<void>
}

export interface QuarantineEntry extends SeqRange {
  readonly recordCount: number
  readonly reasonCode: number | null
  readonly reason: string
}

/** Per-stream counts kept in memory beside the table. */
export interface StreamStats {
  count: number
  bytes: number
}
