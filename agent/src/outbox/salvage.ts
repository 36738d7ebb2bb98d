import { closeSync, existsSync, openSync, readSync, renameSync, statSync } from 'node:fs'
import { STREAMS, type StreamName } from '@edgetwin/shared-schemas'
import Database from 'better-sqlite3'
import type { Logger } from 'pino'
import { AgentError, isAgentError } from '../errors.js'
import { type OutboxOptions, SqliteOutbox } from './outbox.js'
import { MAX_SEQ, rowId, seqOf } from './schema.js'

/** What could be read back from a damaged outbox file. */
export interface SalvagedOutbox {
  readonly rows: { id: number; createdMs: number; bytes: number; data: string }[]
  readonly nextSeq: Map<StreamName, number>
  readonly state: Map<string, string>
  readonly quarantine: QuarantineRow[]
}

interface QuarantineRow {
  stream: string
  first_seq: number
  last_seq: number
  record_count: number
  reason_code: number | null
  reason: string
  quarantined_ms: number
  records: string
}

/** What happened to a damaged outbox: reported in a log line, an `agent.outbox-salvaged` event and health. */
export interface SalvageReport {
  /** Why the file was replaced: `corrupt` (SQLite reports it damaged) or `empty` (0 bytes, or gone, after records). */
  readonly cause: 'corrupt' | 'empty'
  readonly detail: string
  /** Where the damaged file now is (undefined when there was no file to keep). */
  readonly movedTo: string | undefined
  readonly salvagedRecords: number
  /** Seq ranges that could not be read (their records are lost); `lastSeq` null when the end is unknown. */
  readonly unreadable: readonly { stream: StreamName; firstSeq: number; lastSeq: number | null }[]
  readonly quarantineLost: boolean
}

const READ_CHUNK = 500

/**
 * Opens the outbox; when the file is damaged (SQLite reports it corrupt or not a database), or is empty or gone
 * although this data directory held an outbox before (its seq floor exists), salvages the rows that can be read,
 * moves the damaged file aside with a timestamp and starts on a fresh outbox holding them. A device must not stay
 * down (a restart loop under systemd) because its buffer file was damaged.
 */
export function openOutbox(options: OutboxOptions, log: Logger): { outbox: SqliteOutbox; salvage?: SalvageReport } {
  const path = options.path
  const floorExists = existsSync(`${path}.seq-floor`)
  const size = existsSync(path) ? statSync(path).size : -1
  if (floorExists && size <= 0) {
    const movedTo = size === 0 ? moveAside(path) : undefined
    const outbox = SqliteOutbox.open(options)
    outbox.restoreSalvaged({ rows: [], nextSeq: new Map(), state: new Map(), quarantine: [] })
    const detail = size === 0 ? 'the outbox file was empty (0 bytes)' : 'the outbox file was missing'
    const unreadable = STREAMS.map((stream) => ({ stream, firstSeq: 1, lastSeq: null }))
    return { outbox, salvage: report(log, { cause: 'empty', detail, movedTo, salvagedRecords: 0, unreadable, quarantineLost: true }) }
  }
  try {
    return { outbox: SqliteOutbox.open(options) }
  } catch (err) {
    if (!isAgentError(err, 'AGENT_DB_CORRUPT')) throw err
    // SQLite reports a read the disk failed (EIO) as a damaged file too: a disk that cannot read now may read
    // later, so the file is left as it is and start fails, rather than salvaged and replaced.
    assertReadable(path)
    const salvaged = readWhatCan(path)
    const movedTo = moveAside(path)
    const outbox = SqliteOutbox.open(options)
    outbox.restoreSalvaged(salvaged.data)
    return {
      outbox,
      salvage: report(log, {
        cause: 'corrupt',
        detail: err.message,
        movedTo,
        salvagedRecords: salvaged.data.rows.length,
        unreadable: salvaged.unreadable,
        quarantineLost: salvaged.quarantineLost,
      }),
    }
  }
}

/** Reads the outbox and its WAL through once; throws AGENT_IO_ERROR when the disk fails to read them. */
function assertReadable(path: string): void {
  const buf = Buffer.allocUnsafe(1 << 20)
  for (const file of [path, `${path}-wal`]) {
    if (!existsSync(file)) continue
    let fd: number | undefined
    try {
      fd = openSync(file, 'r')
      for (let pos = 0; ; ) {
        const n = readSync(fd, buf, 0, buf.length, pos)
        if (n === 0) break
        pos += n
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error'
      throw new AgentError('AGENT_IO_ERROR', `opening outbox ${path}: the disk could not read ${file} (${code}); it is left as it is`, {
        cause: err,
      })
    } finally {
      if (fd !== undefined) closeSync(fd)
    }
  }
}

function report(log: Logger, r: SalvageReport): SalvageReport {
  log.error(
    { salvage: r },
    `outbox damaged (${r.cause}): ${r.salvagedRecords} records salvaged, ${r.unreadable.length} unreadable ranges; started on a fresh outbox`,
  )
  return r
}

/** Renames the file (and its -wal/-shm) to `<path>.damaged-<UTC timestamp>`. */
function moveAside(path: string): string {
  const movedTo = `${path}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`
  for (const suffix of ['', '-wal', '-shm', '-journal']) {
    if (existsSync(path + suffix)) renameSync(path + suffix, movedTo + suffix)
  }
  return movedTo
}

function readWhatCan(path: string): { data: SalvagedOutbox; unreadable: SalvageReport['unreadable'][number][]; quarantineLost: boolean } {
  const data: SalvagedOutbox = { rows: [], nextSeq: new Map(), state: new Map(), quarantine: [] }
  const unreadable: SalvageReport['unreadable'][number][] = []
  let db: Database.Database
  try {
    db = new Database(path, { readonly: true, fileMustExist: true })
    // Lets SQLite read a file shorter than its header says (cut short) instead of refusing it outright: it does
    // only with writable_schema, which better-sqlite3's defensive mode blocks unless unsafe mode is on. The
    // connection is read-only, so neither can change the file.
    db.unsafeMode(true)
    db.pragma('writable_schema = ON')
    db.pragma('schema_version') // forces the header and schema to be read
  } catch {
    // Not even the header or schema can be read: nothing to salvage.
    for (const stream of STREAMS) unreadable.push({ stream, firstSeq: 1, lastSeq: null })
    return { data, unreadable, quarantineLost: true }
  }
  try {
    const tryAll = <T>(sql: string): T[] | undefined => {
      try {
        return db.prepare(sql).all() as T[]
      } catch {
        return undefined
      }
    }
    for (const r of tryAll<{ stream: StreamName; next_seq: number }>('SELECT stream, next_seq FROM streams') ?? []) {
      data.nextSeq.set(r.stream, r.next_seq)
    }
    for (const r of tryAll<{ key: string; value: string }>('SELECT key, value FROM agent_state') ?? []) data.state.set(r.key, r.value)
    const q = tryAll<QuarantineRow>(
      'SELECT stream, first_seq, last_seq, record_count, reason_code, reason, quarantined_ms, records FROM quarantine ORDER BY id',
    )
    data.quarantine.push(...(q ?? []))
    const read = db.prepare('SELECT id, created_ms, bytes, data FROM outbox WHERE id > ? AND id <= ? ORDER BY id LIMIT ?')
    const point = db.prepare('SELECT id, created_ms, bytes, data FROM outbox WHERE id = ?')
    for (const stream of STREAMS) {
      const hi = rowId(stream, MAX_SEQ)
      let cursor = rowId(stream, 0)
      const readFrom = (after: number, limit: number) =>
        read.all(after, hi, limit) as { id: number; created_ms: number; bytes: number; data: string }[]
      const readAt = (id: number) => {
        try {
          return point.get(id) as { id: number; created_ms: number; bytes: number; data: string } | undefined
        } catch {
          return undefined
        }
      }
      while (cursor < hi) {
        let rows: ReturnType<typeof readFrom>
        try {
          rows = readFrom(cursor, READ_CHUNK)
        } catch {
          try {
            rows = readFrom(cursor, 1)
          } catch {
            cursor = skipDamaged(readFrom, stream, cursor, hi, unreadable)
            // Reading resumes after `cursor`; the row at it may itself be readable (the first of the next page).
            const atCursor = readAt(cursor)
            if (atCursor) {
              data.rows.push({ id: atCursor.id, createdMs: atCursor.created_ms, bytes: atCursor.bytes, data: atCursor.data })
              const last = unreadable[unreadable.length - 1]!
              unreadable[unreadable.length - 1] = { ...last, lastSeq: seqOf(cursor) - 1 }
            }
            continue
          }
        }
        if (rows.length === 0) break
        for (const r of rows) data.rows.push({ id: r.id, createdMs: r.created_ms, bytes: r.bytes, data: r.data })
        cursor = rows[rows.length - 1]!.id
        const next = seqOf(cursor) + 1
        if ((data.nextSeq.get(stream) ?? 1) < next) data.nextSeq.set(stream, next)
      }
    }
    return { data, unreadable, quarantineLost: q === undefined }
  } finally {
    db.close()
  }
}

/**
 * The row after `cursor` is on a page that cannot be read: finds the first place reading works again (doubling
 * probes, then a binary search back, so readable rows just past the damage are not skipped), records the skipped
 * seq range as unreadable, and returns where to resume.
 */
function skipDamaged(
  readFrom: (after: number, limit: number) => unknown[],
  stream: StreamName,
  cursor: number,
  hi: number,
  unreadable: SalvageReport['unreadable'][number][],
): number {
  const readable = (after: number): boolean => {
    try {
      readFrom(after, 1)
      return true
    } catch {
      return false
    }
  }
  let bad = cursor
  let good: number | undefined
  for (let step = 1; cursor + step < hi; step *= 2) {
    if (readable(cursor + step)) {
      good = cursor + step
      break
    }
    bad = cursor + step
  }
  if (good === undefined) {
    unreadable.push({ stream, firstSeq: seqOf(cursor) + 1, lastSeq: null })
    return hi
  }
  while (good - bad > 1) {
    const mid = Math.floor((bad + good) / 2)
    if (readable(mid)) good = mid
    else bad = mid
  }
  unreadable.push({ stream, firstSeq: seqOf(cursor) + 1, lastSeq: seqOf(good) })
  return good
}
