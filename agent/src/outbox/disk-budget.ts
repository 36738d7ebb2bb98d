import { closeSync, existsSync, openSync, statfsSync, statSync, unlinkSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'

/** Bytes a stored record takes on disk per byte of its JSON (b-tree cells, page fill, interior pages). */
export const STORAGE_OVERHEAD = 1.3
/** Largest WAL the outbox lets grow between checkpoints (capped at 1/16 of the filesystem). */
const MAX_WAL_BUDGET_BYTES = 4 * 1024 * 1024
const MIN_WAL_BUDGET_BYTES = 128 * 1024
const RESERVE_CHECK_INTERVAL_MS = 1000

export interface DiskSpace {
  /** Bytes an unprivileged writer may still use on the filesystem (statfs bavail × bsize). */
  freeBytes(): number
  totalBytes(): number
}

/** The filesystem holding `path`, read with statfs(2). */
export function filesystemOf(path: string): DiskSpace {
  const dir = dirname(path)
  return {
    freeBytes: () => {
      const s = statfsSync(dir)
      return s.bavail * s.bsize
    },
    totalBytes: () => {
      const s = statfsSync(dir)
      return s.blocks * s.bsize
    },
  }
}

/**
 * Keeps the outbox able to make progress on a filesystem that really fills up (issue #14.1):
 *
 * - a bounded WAL: checkpoints every `walAutocheckpointPages` and transactions of at most `maxTransactionBytes`,
 *   so the WAL never needs more than `walBudgetBytes` (1/16 of the filesystem, at most 4 MiB), and
 *   `journal_size_limit` truncates it back to that after an unusually large transaction;
 * - a capacity computed from the free bytes of the filesystem before every commit, so the declared eviction
 *   (drop-oldest or reject-new) applies when the disk is full instead of SQLite failing with SQLITE_FULL;
 * - a reserve file of `walBudgetBytes` beside the database, released when SQLite reports the disk full anyway
 *   (another process took the space the WAL needed) so acknowledged rows can still be deleted, and taken again
 *   once the space is back.
 */
export class DiskBudget {
  readonly walBudgetBytes: number
  readonly reservePath: string
  private lastReserveCheckMs = Number.NEGATIVE_INFINITY

  constructor(
    private readonly dbPath: string,
    private readonly pageSize: number,
    private readonly space: DiskSpace = filesystemOf(dbPath),
    private readonly now: () => number = Date.now,
  ) {
    const fs16 = Math.floor(space.totalBytes() / 16)
    this.walBudgetBytes = Math.max(MIN_WAL_BUDGET_BYTES, Math.min(MAX_WAL_BUDGET_BYTES, fs16))
    this.reservePath = `${dbPath}.reserve`
  }

  /** SQLite `wal_autocheckpoint`: half the budget, the other half for the transaction that crosses it. */
  get walAutocheckpointPages(): number {
    return Math.max(16, Math.floor(this.walBudgetBytes / 2 / this.pageSize))
  }

  /** Record bytes one transaction may add, so its pages fit the other half of the WAL budget. */
  get maxTransactionBytes(): number {
    return Math.floor(this.walBudgetBytes / 2 / STORAGE_OVERHEAD)
  }

  /**
   * How many record bytes the outbox may hold now: what it holds, plus what fits in the database's free pages
   * and the filesystem's free bytes, less the room the WAL may still need to grow into and the room the pages
   * waiting in the WAL need when a checkpoint copies them into the database file.
   */
  capacityBytes(storedBytes: number, freePagesBytes: number): number {
    const walFile = fileSize(`${this.dbPath}-wal`)
    const walHeadroom = Math.max(0, this.walBudgetBytes - walFile)
    const usable = this.space.freeBytes() + freePagesBytes - walHeadroom - this.walBudgetBytes
    return Math.max(0, storedBytes + Math.floor(usable / STORAGE_OVERHEAD))
  }

  /** Deletes the reserve file (true when there was one): its bytes let a full disk delete and checkpoint. */
  releaseReserve(): boolean {
    if (!existsSync(this.reservePath)) return false
    unlinkSync(this.reservePath)
    this.lastReserveCheckMs = this.now()
    return true
  }

  /**
   * (Re)creates the reserve file when it is missing and the filesystem has room for it and as much again;
   * checked at most once a second. Never throws: a reserve that cannot be written yet is tried again later.
   */
  maintainReserve(): void {
    const now = this.now()
    if (now - this.lastReserveCheckMs < RESERVE_CHECK_INTERVAL_MS) return
    this.lastReserveCheckMs = now
    if (existsSync(this.reservePath)) return
    if (this.space.freeBytes() < 2 * this.walBudgetBytes) return
    let fd: number | undefined
    try {
      fd = openSync(this.reservePath, 'w')
      // Written, not sparse: the blocks must really be taken (tmpfs and ext4 allocate on write).
      const chunk = Buffer.alloc(64 * 1024)
      for (let written = 0; written < this.walBudgetBytes; written += chunk.length) writeSync(fd, chunk)
    } catch {
      if (fd !== undefined) closeSync(fd)
      fd = undefined
      try {
        unlinkSync(this.reservePath)
      } catch {}
    } finally {
      if (fd !== undefined) closeSync(fd)
    }
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}
