import { STREAMS, type StreamName } from '@edgetwin/shared-schemas'
import type Database from 'better-sqlite3'
import { AgentError, isAgentError } from '../errors.js'
import { DiskBudget } from './disk-budget.js'
import { type EvictionTarget, evictOldest, expireOlderThan } from './eviction.js'
import { openOutboxDatabase } from './open-db.js'
import { listQuarantine, quarantineDamagedRow, quarantineRange, writeSalvaged } from './quarantine.js'
import type { SalvagedOutbox } from './salvage.js'
import { MAX_SEQ, rowId, SEQ_BITS_FACTOR, seqOf, streamIndex } from './schema.js'
import { SeqFloor } from './seq-floor.js'
import { translateSqliteError } from './sqlite-errors.js'
import { type OutboxStatements, prepareStatements } from './statements.js'
import type { CommitResult, InsertRequest, OutboxOptions, OutboxRow, QuarantineEntry, SeqRange, StreamStats } from './types.js'
import { WalSync } from './wal-sync.js'

export type { CommitResult, InsertRequest, OutboxOptions, OutboxRow, QuarantineEntry, SeqRange } from './types.js'

/**
 * The durable outbox: one SQLite file in WAL mode, held with an exclusive lock for the life of the agent so a
 * second agent on the same file fails at once. All methods are synchronous (better-sqlite3).
 */
export class SqliteOutbox {
  readonly path: string
  private readonly db: Database.Database
  private readonly options: OutboxOptions
  private readonly now: () => number
  private readonly nextSeq = new Map<StreamName, number>()
  /** Per stream, the first seq not yet durable: rows below it may be read for sending, rows from it may not yet. */
  private readonly readableNext = new Map<StreamName, number>()
  /** Under `synchronous: 'FULL'`: syncs the WAL after each commit that holds records (see wal-sync.ts). */
  private readonly walSync: WalSync | undefined
  private readonly stats = new Map<StreamName, StreamStats>()
  private readonly evictionStreams: StreamName[]
  private readonly stmt: OutboxStatements
  private readonly evictionTarget: EvictionTarget
  private readonly floor: SeqFloor
  private readonly budget: DiskBudget
  private closed = false

  private constructor(db: Database.Database, options: OutboxOptions) {
    this.db = db
    this.path = options.path
    this.options = options
    this.now = options.now ?? Date.now
    const listed = options.evictionOrder.filter((s): s is StreamName => (STREAMS as readonly string[]).includes(s))
    this.evictionStreams = [...listed, ...STREAMS.filter((s) => !listed.includes(s))]
    this.stmt = prepareStatements(db)
    this.evictionTarget = {
      stmt: this.stmt,
      count: (stream) => this.stats.get(stream)!.count,
      deleteRange: (stream, firstSeq, lastSeq) => this.deleteRangeRaw(stream, firstSeq, lastSeq),
    }
    this.floor = new SeqFloor(`${options.path}.seq-floor`)
    this.budget = new DiskBudget(options.path, db.pragma('page_size', { simple: true }) as number)
    db.pragma(`wal_autocheckpoint = ${this.budget.walAutocheckpointPages}`)
    db.pragma(`journal_size_limit = ${this.budget.walBudgetBytes}`)
    this.budget.maintainReserve()
    this.walSync = options.synchronous === 'FULL' ? new WalSync(`${options.path}-wal`, options.sync) : undefined
    this.loadStats()
    this.reserveFloorsAtOpen()
  }

  /**
   * Reserves every stream's seq floor now, in one write, rather than in the first commit of each stream (a
   * synchronous fsync, rename and directory fsync on the event loop; a thousand fresh agents did it all at once).
   * Best effort: on a full disk the agent still starts, and the commit that needs a floor writes it or fails.
   */
  private reserveFloorsAtOpen(): void {
    try {
      this.floor.coverAll(new Map(STREAMS.map((s) => [s, this.nextSeq.get(s) ?? 1])))
    } catch {}
  }

  /** Per-stream counts, bytes and next seqs from the database (a full scan: it also meets any damaged page). */
  private loadStats(): void {
    for (const r of this.db.prepare('SELECT stream, next_seq FROM streams').all() as { stream: StreamName; next_seq: number }[]) {
      this.nextSeq.set(r.stream, r.next_seq)
    }
    for (const s of STREAMS) {
      const lo = rowId(s, 0)
      const r = this.stmt.streamStats.get(lo, lo + MAX_SEQ) as { n: number; b: number | null; maxId: number | null }
      this.stats.set(s, { count: r.n, bytes: r.b ?? 0 })
      // Belt and braces: never hand out a seq at or below one still stored.
      if (r.maxId !== null) this.nextSeq.set(s, Math.max(this.nextSeq.get(s) ?? 1, seqOf(r.maxId) + 1))
      this.readableNext.set(s, this.nextSeq.get(s) ?? 1)
    }
  }

  /** Opens (creating if needed) and locks the outbox. Throws AGENT_DB_LOCKED when another agent holds it. */
  static open(options: OutboxOptions): SqliteOutbox {
    const db = openOutboxDatabase(options)
    try {
      return new SqliteOutbox(db, options)
    } catch (err) {
      db.close()
      throw translateSqliteError(err, `opening outbox ${options.path}`)
    }
  }

  /**
   * Deletes the acknowledged ranges, then inserts the records, in ONE transaction (group commit: one WAL sync for
   * all of them, awaited through the result's `durable` under FULL). Sequence numbers are assigned here, at
   * commit, and persisted in the same transaction so they are never reused, also across restarts. On
   * SQLITE_FULL/IOERR everything is rolled back and thrown.
   */
  commit(inserts: readonly InsertRequest[], deletes: readonly SeqRange[]): CommitResult {
    this.assertOpen()
    // A transaction of deletes alone (acknowledged rows) needs no sync: lost to a power cut, its rows are sent
    // again and the cloud drops them as a replay. One that holds records is synced (walSync) before they count.
    const result = this.withReserve(() => this.commitOnce(inserts, deletes))
    this.budget.maintainReserve()
    if (!result.results.some((r) => typeof r === 'number')) return result
    const marks = new Map(this.nextSeq)
    if (!this.walSync) {
      for (const [s, next] of marks) this.readableNext.set(s, next)
      return result
    }
    const durable = this.walSync.request().then(() => {
      for (const [s, next] of marks) this.readableNext.set(s, Math.max(next, this.readableNext.get(s) ?? 1))
    })
    return { ...result, durable }
  }

  /** Runs `fn`; if the disk is full anyway, releases the reserve file (when there is one) and runs it again. */
  private withReserve<T>(fn: () => T): T {
    try {
      return fn()
    } catch (err) {
      if (!isAgentError(err, 'AGENT_DISK_FULL') || !this.budget.releaseReserve()) throw err
      return fn()
    }
  }

  private commitOnce(inserts: readonly InsertRequest[], deletes: readonly SeqRange[]): CommitResult {
    const savedSeq = new Map(this.nextSeq)
    const savedStats = new Map([...this.stats].map(([k, v]) => [k, { ...v }]))
    try {
      return this.db.transaction(() => this.commitInTransaction(inserts, deletes))()
    } catch (err) {
      this.nextSeq.clear()
      for (const [k, v] of savedSeq) this.nextSeq.set(k, v)
      for (const [k, v] of savedStats) this.stats.set(k, v)
      throw translateSqliteError(err, 'committing to the outbox')
    }
  }

  /** Record bytes one commit may add so that the WAL stays within its budget (GroupCommitter splits larger groups). */
  get maxTransactionBytes(): number {
    return this.budget.maxTransactionBytes
  }

  private commitInTransaction(inserts: readonly InsertRequest[], deletes: readonly SeqRange[]): CommitResult {
    let deleted = 0
    for (const d of deletes) deleted += this.deleteRangeRaw(d.stream, d.firstSeq, d.lastSeq)
    let evicted = 0
    const touched = new Set<StreamName>()
    const results: (number | AgentError)[] = []
    const createdMs = this.now()
    let total = this.totalBytes()
    // The configured limit, or less when the filesystem has less room: then the declared eviction applies to a
    // really full disk as it does to the limit, instead of SQLite failing with SQLITE_FULL.
    const capacity = inserts.length > 0 ? this.budget.capacityBytes(total, this.freePagesBytes()) : Number.POSITIVE_INFINITY
    const maxBytes = Math.min(this.options.maxBytes, capacity)
    for (const req of inserts) {
      const over = total + req.bytes - maxBytes
      if (over > 0) {
        if (this.options.eviction === 'reject-new' || req.bytes > maxBytes) {
          const diskBound = maxBytes < this.options.maxBytes
          results.push(
            new AgentError(
              diskBound ? 'AGENT_DISK_FULL' : 'AGENT_OUTBOX_FULL',
              diskBound
                ? `the disk holding the outbox has room for ${maxBytes} bytes of records; record of ${req.bytes} bytes refused`
                : `outbox holds ${this.totalBytes()} of ${this.options.maxBytes} bytes; record of ${req.bytes} bytes refused`,
            ),
          )
          continue
        }
        evicted += evictOldest(this.evictionTarget, this.evictionStreams, over)
        total = this.totalBytes()
      }
      const seq = this.nextSeq.get(req.stream) ?? 1
      this.stmt.insert.run(rowId(req.stream, seq), createdMs, req.bytes, req.data)
      this.nextSeq.set(req.stream, seq + 1)
      const st = this.stats.get(req.stream)!
      st.count++
      st.bytes += req.bytes
      total += req.bytes
      touched.add(req.stream)
      results.push(seq)
      if (req.state) this.stmt.saveState.run(req.state.key, req.state.value)
    }
    for (const s of touched) {
      const next = this.nextSeq.get(s)!
      this.floor.cover(s, next)
      this.stmt.saveSeq.run(s, next)
    }
    return { results, evicted, deleted }
  }

  private freePagesBytes(): number {
    return (this.stmt.freePages.get() as number) * this.stmt.pageSize
  }

  private deleteRangeRaw(stream: StreamName, firstSeq: number, lastSeq: number): number {
    const lo = rowId(stream, firstSeq)
    const hi = rowId(stream, lastSeq)
    const [count, bytes] = this.stmt.rangeTotals.get(lo, hi) as [number, number]
    if (count === 0) return 0
    this.stmt.deleteRange.run(lo, hi)
    const st = this.stats.get(stream)!
    st.bytes -= bytes
    st.count -= count
    return count
  }

  /** Deletes rows older than `maxAgeMs` (oldest first, per stream); returns how many. */
  expire(): number {
    const maxAgeMs = this.options.maxAgeMs
    if (!maxAgeMs) return 0
    const cutoff = this.now() - maxAgeMs
    try {
      return this.db.transaction(() => expireOlderThan(this.evictionTarget, cutoff))()
    } catch (err) {
      throw translateSqliteError(err, 'expiring old records')
    }
  }

  /**
   * Up to `maxRecords` rows of `stream` after `afterSeq`, oldest first, stopping before `maxBytes` (counting
   * `perRecordOverheadBytes` for each) is exceeded. Always returns at least one row when there is one. Under
   * FULL, rows of a commit whose WAL sync has not completed are not returned yet.
   */
  readBatch(stream: StreamName, afterSeq: number, maxRecords: number, maxBytes: number, perRecordOverheadBytes = 0): OutboxRow[] {
    this.assertOpen()
    const lo = rowId(stream, afterSeq)
    // Read only about what the batch can hold (the stream's mean row size, a quarter spare), not `maxRecords`
    // rows of which most would be dropped: for 2 KB records that is 60 rows read instead of 500.
    const st = this.stats.get(stream)!
    // Nothing readable after `afterSeq`: answered from memory (the publisher asks every stream at each pump).
    if (st.count === 0 || afterSeq >= (this.readableNext.get(stream) ?? 1) - 1) return []
    const mean = st.count > 0 ? st.bytes / st.count + perRecordOverheadBytes : 1
    // At least one row, whatever the byte budget: a record that fits no batch is still read (and sent or quarantined).
    const limit = Math.max(1, Math.min(maxRecords, Math.ceil((maxBytes / mean) * 1.25) + 1))
    // Only rows already durable: one sent before its sync completed could be lost to a power cut after the
    // router saw its seq, and the seq would then be handed out again to a new record the router drops as a replay.
    const hi = rowId(stream, Math.min(MAX_SEQ, (this.readableNext.get(stream) ?? 1) - 1))
    const rows = this.stmt.readBatch.all(lo, hi, limit) as [number, string, number][]
    const out: OutboxRow[] = []
    let total = 0
    for (const [id, data, bytes] of rows) {
      if (out.length > 0 && total + bytes + perRecordOverheadBytes > maxBytes) break
      total += bytes + perRecordOverheadBytes
      out.push({ seq: seqOf(id), data, bytes })
    }
    return out
  }

  /** Moves a refused batch's rows into the quarantine table so it never blocks the queue; returns the count moved. */
  quarantine(entry: Omit<QuarantineEntry, 'recordCount'>): number {
    this.assertOpen()
    try {
      return this.db.transaction(() =>
        quarantineRange(this.stmt, entry, this.now()) === 0 ? 0 : this.deleteRangeRaw(entry.stream, entry.firstSeq, entry.lastSeq),
      )()
    } catch (err) {
      throw translateSqliteError(err, 'quarantining a batch')
    }
  }

  /**
   * Moves one stored row that can no longer be sent (damaged on disk) into quarantine, its text kept as a JSON
   * string (it may not be JSON any more). Returns the count moved (0 when the row is gone already).
   */
  quarantineDamaged(stream: StreamName, seq: number, reason: string): number {
    this.assertOpen()
    try {
      return this.db.transaction(() =>
        quarantineDamagedRow(this.stmt, stream, seq, reason, this.now()) ? this.deleteRangeRaw(stream, seq, seq) : 0,
      )()
    } catch (err) {
      throw translateSqliteError(err, 'quarantining a damaged row')
    }
  }

  quarantined(): QuarantineEntry[] {
    return listQuarantine(this.db)
  }

  /**
   * Puts what was salvaged from a damaged outbox into this (fresh) one, keeping every record's stream and seq.
   * Each stream resumes above everything the old file or the seq floor knew of, so no seq is ever reused.
   */
  restoreSalvaged(data: SalvagedOutbox): void {
    this.assertOpen()
    try {
      this.durably(() =>
        this.db.transaction(() => {
          const floor = SeqFloor.read(this.floor.path)
          writeSalvaged(this.db, this.stmt, data, (s) => Math.max(data.nextSeq.get(s) ?? 1, floor[s] ?? 1, this.nextSeq.get(s) ?? 1))
        })(),
      )
    } catch (err) {
      throw translateSqliteError(err, 'restoring salvaged records')
    }
    this.loadStats()
  }

  /** A value committed with a record (`InsertRequest.state`), or undefined. */
  readState(key: string): string | undefined {
    this.assertOpen()
    return (this.db.prepare('SELECT value FROM agent_state WHERE key = ?').pluck().get(key) as string | undefined) ?? undefined
  }

  /** Takes the next sequence number of `stream` without storing a row (the Last Will carries one). */
  reserveSeq(stream: StreamName): number {
    this.assertOpen()
    const seq = this.nextSeq.get(stream) ?? 1
    try {
      this.floor.cover(stream, seq + 1)
      // Durable before it is used: a Last Will carrying a seq that a power cut gave back would make the router
      // drop the record that is later given the same seq.
      this.durably(() => this.stmt.saveSeq.run(stream, seq + 1))
    } catch (err) {
      throw translateSqliteError(err, 'reserving a sequence number')
    }
    this.nextSeq.set(stream, seq + 1)
    return seq
  }

  depth(stream?: StreamName): number {
    if (stream) return this.stats.get(stream)!.count
    let n = 0
    for (const s of this.stats.values()) n += s.count
    return n
  }

  /** Mean stored record size (256 bytes when empty), to estimate what deleting a seq range writes. */
  averageRecordBytes(): number {
    const n = this.depth()
    return n > 0 ? Math.ceil(this.totalBytes() / n) : 256
  }

  totalBytes(): number {
    let n = 0
    for (const s of this.stats.values()) n += s.bytes
    return n
  }

  /** Commit time (epoch ms) of the oldest stored record, or null when empty. */
  oldestCreatedMs(): number | null {
    let oldest: number | null = null
    for (const s of STREAMS) {
      if (this.stats.get(s)!.count === 0) continue
      const lo = streamIndex(s) * SEQ_BITS_FACTOR
      const t = this.stmt.oldest.get(lo, lo + MAX_SEQ) as number | undefined
      if (t !== undefined && (oldest === null || t < oldest)) oldest = t
    }
    return oldest
  }

  integrityCheck(): string {
    return String(this.db.pragma('integrity_check', { simple: true }))
  }

  /** Runs `fn` (one transaction) with SQLite syncing at its commit, as `synchronous=FULL` does, when that is configured. */
  private durably<T>(fn: () => T): T {
    if (!this.walSync) return fn()
    this.db.pragma('synchronous = FULL')
    try {
      return fn()
    } finally {
      this.db.pragma('synchronous = NORMAL')
    }
  }

  /** Syncs the WAL once more (settling commits still waiting for their sync), then closes the database. */
  close(): void {
    if (this.closed) return
    this.closed = true
    try {
      this.walSync?.close()
    } finally {
      this.db.close()
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new AgentError('AGENT_CLOSED', 'the outbox is closed')
  }
}
