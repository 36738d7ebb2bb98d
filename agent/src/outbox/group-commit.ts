import type { StreamName } from '@edgetwin/shared-schemas'
import type { AgentError } from '../errors.js'
import type { CommitResult, InsertRequest, SeqRange, SqliteOutbox } from './outbox.js'

export interface GroupCommitOptions {
  /** A transaction is committed as soon as this many records wait. */
  readonly maxRecords: number
  /** ... or this long after the first one arrived, whichever comes first. */
  readonly maxDelayMs: number
}

export interface GroupCommitHooks {
  /** After every committed transaction, once its records are durable (or their sync failed). */
  onCommit?(result: CommitResult, inserts: readonly InsertRequest[]): void
  /** A transaction failed (rolled back), or its WAL sync failed; its inserts were rejected with `err`. */
  onError?(err: AgentError): void
}

/** Where the outcomes of one `insert` or `insertMany` call are gathered: one promise per call, not per record. */
interface Waiter {
  /** Outcomes by record, for `insertMany`; absent for a single `insert`, which settles with its one outcome. */
  readonly results?: (number | AgentError)[]
  remaining: number
  resolve(value: never): void
  reject?(err: Error): void
}

interface Pending extends InsertRequest {
  readonly waiter: Waiter
  /** This record's place in its waiter's results. */
  readonly index: number
}

/**
 * Group commit: many `accept` calls share one SQLite transaction, bounded by a count and a delay, so
 * `synchronous=FULL` costs one sync per group rather than one per record. The sync runs on libuv's pool after the
 * commit (SqliteOutbox.commit's `durable`), and a group's accepts resolve only once it completed. Deletes of
 * acknowledged ranges ride along in the next transaction (losing one in a crash only causes a resend, never a loss).
 */
export class GroupCommitter {
  private pending: Pending[] = []
  private deletes: SeqRange[] = []
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly outbox: SqliteOutbox,
    private readonly options: GroupCommitOptions,
    private readonly hooks: GroupCommitHooks = {},
  ) {}

  /** Resolves with the record's sequence number once its transaction has committed and is durable. */
  insert(stream: StreamName, data: string, bytes: number, state?: InsertRequest['state']): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.pending.push({ stream, data, bytes, state, waiter: { remaining: 1, resolve, reject }, index: 0 })
      this.queued()
    })
  }

  /**
   * Inserts many records with one promise for all of them: it resolves, once every one's transaction has
   * committed and is durable, with each record's sequence number or the AgentError that refused it (a full
   * outbox, a full disk, an I/O error), in order. Never rejects. The records commit in order, in one transaction
   * unless the WAL budget splits them (then in consecutive ones).
   */
  insertMany(records: readonly InsertRequest[]): Promise<(number | AgentError)[]> {
    if (records.length === 0) return Promise.resolve([])
    return new Promise((resolve) => {
      const waiter: Waiter = { results: new Array(records.length), remaining: records.length, resolve }
      for (let i = 0; i < records.length; i++) {
        const r = records[i]!
        this.pending.push({ stream: r.stream, data: r.data, bytes: r.bytes, state: r.state, waiter, index: i })
      }
      this.queued()
    })
  }

  private queued(): void {
    if (this.pending.length >= this.options.maxRecords) void this.flush()
    else this.schedule()
  }

  /** Queues the deletion of an acknowledged range for the next transaction. */
  delete(range: SeqRange): void {
    this.deletes.push(range)
    this.schedule()
  }

  get waiting(): number {
    return this.pending.length
  }

  private schedule(): void {
    if (this.timer) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      void this.flush()
    }, this.options.maxDelayMs)
  }

  /** Commits everything queued now; the promise settles once every group committed here is durable (never rejects). */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    const pending = this.pending
    const deletes = this.deletes
    this.pending = []
    this.deletes = []
    // Each transaction stays within the WAL budget: a delete rewrites the pages its rows are on much as an insert
    // writes them, so both count (deletes first, riding with inserts while they fit).
    const maxBytes = this.outbox.maxTransactionBytes
    const rowBytes = this.outbox.averageRecordBytes()
    let d = 0
    let p = 0
    const groups: Promise<void>[] = []
    while (d < deletes.length || p < pending.length) {
      let bytes = 0
      const ranges: SeqRange[] = []
      while (d < deletes.length && (ranges.length === 0 || bytes < maxBytes)) {
        const r = deletes[d++]!
        ranges.push(r)
        bytes += (r.lastSeq - r.firstSeq + 1) * rowBytes
      }
      const start = p
      while (p < pending.length && ((p === start && ranges.length === 0) || bytes + pending[p]!.bytes <= maxBytes)) {
        bytes += pending[p++]!.bytes
      }
      groups.push(this.commitGroup(pending.slice(start, p), ranges))
    }
    return Promise.all(groups).then(() => undefined)
  }

  private commitGroup(batch: Pending[], deletes: SeqRange[]): Promise<void> {
    let result: CommitResult
    try {
      result = this.outbox.commit(batch, deletes)
    } catch (err) {
      for (const p of batch) outcome(p, err as AgentError)
      this.hooks.onError?.(err as AgentError)
      this.retryDeletesAlone(deletes)
      return Promise.resolve()
    }
    if (!result.durable) {
      this.settle(batch, result)
      return Promise.resolve()
    }
    return result.durable.then(
      () => this.settle(batch, result),
      (err: AgentError) => {
        // Not accepted: the caller hears so. The rows stay committed; once a later sync covers them they are sent
        // like any other (a caller that retries makes an at-least-once duplicate, never a loss).
        for (const p of batch) outcome(p, err)
        this.hooks.onError?.(err)
        this.hooks.onCommit?.(result, batch)
      },
    )
  }

  private settle(batch: Pending[], result: CommitResult): void {
    for (let i = 0; i < batch.length; i++) outcome(batch[i]!, result.results[i]!)
    this.hooks.onCommit?.(result, batch)
  }

  /** On a full disk the deletes may still succeed (they free pages); if not, keep them for the next flush. */
  private retryDeletesAlone(deletes: SeqRange[]): void {
    if (deletes.length === 0) return
    try {
      const result = this.outbox.commit([], deletes)
      this.hooks.onCommit?.(result, [])
    } catch {
      // Still failing (I/O error): the rows stay and are resent later; keep the ranges for the next attempt.
      this.deletes.unshift(...deletes)
      this.schedule()
    }
  }
}

/** Records one record's outcome; its call's promise settles with the last of them. */
function outcome(p: Pending, r: number | AgentError): void {
  const w = p.waiter
  if (!w.results) {
    if (typeof r === 'number') w.resolve(r as never)
    else w.reject!(r)
    return
  }
  w.results[p.index] = r
  if (--w.remaining === 0) w.resolve(w.results as never)
}
