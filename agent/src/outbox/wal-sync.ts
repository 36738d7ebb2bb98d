import { closeSync, fdatasync, fdatasyncSync, openSync } from 'node:fs'
import { AgentError } from '../errors.js'

/** Flushes a file's written pages to stable storage: `fs.fdatasync` by default; tests inject a slow or failing one. */
export type SyncFn = (fd: number, callback: (err: NodeJS.ErrnoException | null) => void) => void

interface Waiter {
  resolve(): void
  reject(err: AgentError): void
}

/**
 * Makes what SQLite has written to the outbox's write-ahead log durable, off the event loop. The outbox commits
 * at `synchronous=NORMAL` (WAL frames written, no sync inside the commit); each commit that holds records then
 * asks for a sync of the `-wal` file on libuv's pool, and its records count as accepted only when that sync
 * completes. One sync covers every commit written before it started, so the commits that arrive while a sync
 * runs wait together for the next one (at most one sync in flight per outbox).
 *
 * Why syncing the `-wal` file is what `synchronous=FULL` would have done (SQLite, "Write-Ahead Logging" and
 * PRAGMA synchronous): at FULL the only extra work at commit is a sync of the WAL after the commit frame is
 * written; the WAL header written when the log restarts is synced at NORMAL as well, and a checkpoint syncs the
 * WAL before and the database after copying. Under `locking_mode=EXCLUSIVE` the `-wal` file is kept (truncated to
 * `journal_size_limit`, same inode) until the connection closes, so the descriptor opened here stays the log's.
 * fdatasync (what SQLite itself uses on Linux) flushes the file's data and the size needed to read it back.
 */
export class WalSync {
  private readonly fd: number
  /** Waiters of the sync in flight (each one's commit was written before it started). */
  private inFlight: Waiter[] | undefined
  /** Waiters whose commits were written after the sync in flight started. */
  private queued: Waiter[] = []
  private closed = false

  constructor(
    readonly walPath: string,
    private readonly sync: SyncFn = fdatasync,
  ) {
    this.fd = openSync(walPath, 'r')
    // Whatever a process that died left in the log (written, maybe never synced) is durable before any is sent.
    fdatasyncSync(this.fd)
  }

  /** Resolves once everything written to the WAL before this call is on stable storage; rejects with a coded error. */
  request(): Promise<void> {
    if (this.closed) return Promise.reject(new AgentError('AGENT_CLOSED', 'the outbox is closed'))
    return new Promise<void>((resolve, reject) => {
      this.queued.push({ resolve, reject })
      if (!this.inFlight) this.startSync()
    })
  }

  private startSync(): void {
    const waiters = this.queued
    this.queued = []
    this.inFlight = waiters
    this.sync(this.fd, (err) => {
      if (this.closed) {
        // close() synced on the spot and settled these waiters; the descriptor was left open for this call.
        closeSync(this.fd)
        return
      }
      this.inFlight = undefined
      const failure = err ? syncError(err, this.walPath) : undefined
      for (const w of waiters) failure ? w.reject(failure) : w.resolve()
      if (this.queued.length > 0) this.startSync()
    })
  }

  /**
   * Syncs once more on the calling thread (at close nothing else waits for the loop), settles every waiter with
   * its outcome and releases the descriptor (after a sync still running on the pool returns).
   */
  close(): void {
    if (this.closed) return
    this.closed = true
    const waiters = [...(this.inFlight ?? []), ...this.queued]
    this.queued = []
    let failure: AgentError | undefined
    try {
      fdatasyncSync(this.fd)
    } catch (err) {
      failure = syncError(err as NodeJS.ErrnoException, this.walPath)
    }
    for (const w of waiters) failure ? w.reject(failure) : w.resolve()
    if (!this.inFlight) closeSync(this.fd)
  }
}

function syncError(err: NodeJS.ErrnoException, walPath: string): AgentError {
  const why = `${err.code ?? 'error'}: ${err.message}`
  const code = err.code === 'ENOSPC' || err.code === 'EDQUOT' ? 'AGENT_DISK_FULL' : 'AGENT_IO_ERROR'
  return new AgentError(code, `making the outbox's write-ahead log ${walPath} durable failed (${why}); its records were not accepted`, {
    cause: err,
  })
}
