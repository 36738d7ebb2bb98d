import { createHash } from 'node:crypto'
import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Database } from 'better-sqlite3'
import type { Logger } from 'pino'
import { CloudError } from '../../errors.js'
import { openCloudDatabase } from '../../runtime/sqlite.js'
import { NOTHING_REJECTED, type SinkWriteResult } from '../sink-result.js'
import { type ArchiveRecord, type ArchiveStream, FIREHOSE_MAX_RECORD_BYTES } from './archive-stream.js'
import { gzipObject, toSegment } from './gzip-segments.js'
import { archiveObjectKey } from './partition-path.js'

export interface LocalArchiveOptions {
  /** Folder the objects go under, as the S3 bucket would. */
  readonly root: string
  /**
   * The SQLite database the spool lives in. Pass the router's database so that `appendInTransaction` commits
   * with the caller's high-water mark (exactly once across a crash). @default `<root>/.spool/spool.db`
   */
  readonly db?: Database
  /** @default 'archive' */
  readonly prefix?: string
  /** Used in object names, as Firehose uses the delivery stream name. @default 'edgetwin-archive' */
  readonly streamName?: string
  /** Firehose SizeInMBs hint (1-128 MiB); a partition is delivered once its buffer reaches it. @default 5 MiB */
  readonly bufferSizeBytes?: number
  /** Firehose IntervalInSeconds hint (0-900 s); a partition is delivered this long after its oldest record arrived. @default 300 s */
  readonly bufferIntervalMs?: number
  /** The dynamic-partitioning key of a record (Firehose `partitionKeyFromQuery`). @default the record's `DeviceId` */
  readonly partitionKey?: (record: ArchiveRecord) => string
  readonly logger: Logger
  /** @default () => new Date() */
  readonly now?: () => Date
}

/**
 * Records already encoded as the stream's bytes (JSON lines, each ending in `\n`), all of one partition: what the
 * router builds from the envelope's own JSON text, so nothing is serialised twice.
 */
export interface ArchiveLines {
  readonly partitionKey: string
  readonly body: Buffer
  readonly count: number
  /** The longest line with its newline, checked against Firehose's record limit. */
  readonly longestLineBytes: number
}

/** The local archive stream: Firehose's port, plus writes that join the caller's SQLite transaction. */
export interface LocalArchiveStream extends ArchiveStream {
  start(): Promise<void>
  /**
   * Spools `records` inside the caller's transaction on the same database (synchronous; delivery of full
   * partitions happens after the transaction, on the next tick).
   */
  appendInTransaction(records: readonly ArchiveRecord[]): SinkWriteResult
  /** As `appendInTransaction`, for lines the caller has encoded (one partition). */
  appendLinesInTransaction(lines: ArchiveLines): SinkWriteResult
}

interface Partition {
  readonly key: string
  bytes: number
  timer: NodeJS.Timeout | undefined
}

const byDeviceId = (r: ArchiveRecord): string => String(r['DeviceId'])

/** A name that is the same every time the same spool rows are delivered, shaped as Firehose's random suffix (a UUID). */
function deterministicUuid(...parts: readonly (string | number)[]): string {
  const h = createHash('sha256').update(parts.join('\0')).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`
}

/** Spool rows at least this large are stored compressed: fewer pages through the WAL, nothing to do at delivery. */
const COMPRESS_IN_SPOOL_BYTES = 4096

/**
 * Firehose semantics on a local folder. Records are committed to a SQLite spool before `put` resolves (so a record
 * acknowledged to the router survives a crash, as one acknowledged by Firehose does), and a partition's spool
 * becomes one GZIP object of newline-delimited JSON when it reaches the size or interval hint. Delivery writes the
 * object under a name derived from the spool rows, then deletes them: a crash in between redelivers the same
 * rows under the same name, so no record is ever in two objects.
 */
export function createLocalArchiveStream(options: LocalArchiveOptions): LocalArchiveStream {
  const prefix = options.prefix ?? 'archive'
  const streamName = options.streamName ?? 'edgetwin-archive'
  const sizeLimit = options.bufferSizeBytes ?? 5 * 1024 * 1024
  const intervalMs = options.bufferIntervalMs ?? 300_000
  const partitionKey = options.partitionKey ?? byDeviceId
  const now = options.now ?? (() => new Date())
  const log = options.logger
  let db = options.db
  if (!db) {
    mkdirSync(join(options.root, '.spool'), { recursive: true })
    db = openCloudDatabase(join(options.root, '.spool', 'spool.db'))
  }
  const ownDb = options.db ? undefined : db
  db.exec(`CREATE TABLE IF NOT EXISTS archive_spool (id INTEGER PRIMARY KEY AUTOINCREMENT, prefix TEXT NOT NULL,
    partition_key TEXT NOT NULL, arrival_ms INTEGER NOT NULL, body BLOB NOT NULL)`)
  db.exec('CREATE INDEX IF NOT EXISTS archive_spool_partition ON archive_spool (prefix, partition_key, id)')
  const insert = db.prepare('INSERT INTO archive_spool (prefix, partition_key, arrival_ms, body) VALUES (?, ?, ?, ?)')
  const selectPartition = db.prepare('SELECT id, arrival_ms, body FROM archive_spool WHERE prefix = ? AND partition_key = ? ORDER BY id')
  const deleteUpTo = db.prepare('DELETE FROM archive_spool WHERE prefix = ? AND partition_key = ? AND id <= ?')
  const spooledKeys = db.prepare('SELECT DISTINCT partition_key FROM archive_spool WHERE prefix = ?').pluck()
  const partitions = new Map<string, Partition>()
  const full = new Set<string>()
  let deliverScheduled = false
  let closed = false

  const deliver = (key: string): void => {
    const p = partitions.get(key)
    if (p?.timer) clearTimeout(p.timer)
    partitions.delete(key)
    full.delete(key)
    const rows = selectPartition.all(prefix, key) as Array<{ id: number; arrival_ms: number; body: Buffer }>
    if (rows.length === 0) return
    const first = rows[0]!
    const arrival = new Date(first.arrival_ms)
    const objectKey = archiveObjectKey(prefix, key, arrival, streamName, deterministicUuid(prefix, key, first.id, first.arrival_ms))
    const target = join(options.root, objectKey)
    mkdirSync(dirname(target), { recursive: true })
    // Write then rename, so a reader never sees half an object (S3 PUT is atomic too).
    writeFileSync(`${target}.tmp`, gzipObject(rows.map((r) => r.body)))
    renameSync(`${target}.tmp`, target)
    deleteUpTo.run(prefix, key, rows[rows.length - 1]!.id)
    log.debug({ partition: key, key: objectKey, records: rows.length }, 'archive object delivered')
  }

  const deliverFull = (): void => {
    deliverScheduled = false
    for (const key of [...full]) deliver(key)
  }
  // From a timer: a failed delivery (a full disk) leaves the rows spooled for the next attempt, never crashes the process.
  const deliverLater = (what: () => void) => () => {
    if (closed) return
    try {
      what()
    } catch (err) {
      log.error({ err, prefix }, 'archive delivery failed; the records stay spooled')
    }
  }

  const tooLarge = (bytes: number): CloudError =>
    new CloudError('CLOUD_ARCHIVE_RECORD_TOO_LARGE', `record of ${bytes} bytes exceeds Firehose's ${FIREHOSE_MAX_RECORD_BYTES} bytes`)

  const append = (records: readonly ArchiveRecord[]): SinkWriteResult => {
    if (closed) throw new CloudError('CLOUD_CLOSED', 'archive stream is closed')
    // One string per partition, encoded once: cheaper than a Buffer per record.
    const byKey = new Map<string, string[]>()
    for (const r of records) {
      const line = JSON.stringify(r)
      // A UTF-8 byte is at most 3 per UTF-16 unit here, so only long lines need measuring.
      if (line.length * 3 >= FIREHOSE_MAX_RECORD_BYTES && Buffer.byteLength(line) + 1 > FIREHOSE_MAX_RECORD_BYTES) {
        throw tooLarge(Buffer.byteLength(line) + 1)
      }
      const k = partitionKey(r)
      const list = byKey.get(k)
      if (list) list.push(line)
      else byKey.set(k, [line])
    }
    const arrivalMs = now().getTime()
    for (const [key, lines] of byKey) {
      const chunk = Buffer.from(`${lines.join('\n')}\n`)
      spool(key, chunk, chunk.length, arrivalMs)
    }
    return { written: records.length, rejected: NOTHING_REJECTED }
  }

  const appendLines = (lines: ArchiveLines): SinkWriteResult => {
    if (closed) throw new CloudError('CLOUD_CLOSED', 'archive stream is closed')
    if (lines.longestLineBytes > FIREHOSE_MAX_RECORD_BYTES) throw tooLarge(lines.longestLineBytes)
    if (lines.count === 0) return { written: 0, rejected: NOTHING_REJECTED }
    const body = lines.body.length >= COMPRESS_IN_SPOOL_BYTES ? toSegment(lines.body) : lines.body
    spool(lines.partitionKey, body, lines.body.length, now().getTime())
    return { written: lines.count, rejected: NOTHING_REJECTED }
  }

  /** One spool row per partition and write; the partition is due once its bytes (uncompressed) reach the size hint. */
  function spool(key: string, chunk: Buffer, bytes: number, arrivalMs: number): void {
    insert.run(prefix, key, arrivalMs, chunk)
    let p = partitions.get(key)
    if (!p) {
      p = { key, bytes: 0, timer: undefined }
      partitions.set(key, p)
      if (intervalMs > 0) {
        p.timer = setTimeout(
          deliverLater(() => deliver(key)),
          intervalMs,
        )
        p.timer.unref()
      }
    }
    p.bytes += bytes
    if (p.bytes >= sizeLimit || intervalMs === 0) full.add(key)
  }
  const appendCommitted = db.transaction(append)
  const scheduleFull = (): void => {
    if (full.size > 0 && !deliverScheduled) {
      deliverScheduled = true
      setImmediate(deliverLater(deliverFull))
    }
  }

  return {
    async start() {
      // Deliver spools a previous run left behind: they hold acknowledged records.
      for (const key of spooledKeys.all(prefix) as string[]) deliver(key)
    },
    appendInTransaction(records) {
      const result = append(records)
      scheduleFull()
      return result
    },
    appendLinesInTransaction(lines) {
      const result = appendLines(lines)
      scheduleFull()
      return result
    },
    async put(records) {
      const result = appendCommitted(records)
      deliverFull()
      return result
    },
    async flush() {
      for (const key of spooledKeys.all(prefix) as string[]) deliver(key)
    },
    async close() {
      if (closed) return
      closed = true
      for (const key of spooledKeys.all(prefix) as string[]) deliver(key)
      for (const p of partitions.values()) if (p.timer) clearTimeout(p.timer)
      partitions.clear()
      ownDb?.close()
    },
  }
}
