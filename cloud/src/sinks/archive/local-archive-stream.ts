import { randomUUID } from 'node:crypto'
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { dirname, join } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { Logger } from 'pino'
import { CloudError } from '../../errors.js'
import { NOTHING_REJECTED } from '../sink-result.js'
import { type ArchiveStream, FIREHOSE_MAX_RECORD_BYTES } from './archive-stream.js'
import { archiveObjectKey } from './partition-path.js'

export interface LocalArchiveOptions {
  /** Folder the objects go under, as the S3 bucket would. */
  readonly root: string
  /** @default 'archive' */
  readonly prefix?: string
  /** Used in object names, as Firehose uses the delivery stream name. @default 'edgetwin-archive' */
  readonly streamName?: string
  /** Firehose SizeInMBs hint (1-128 MiB); a partition is delivered once its buffer reaches it. @default 5 MiB */
  readonly bufferSizeBytes?: number
  /** Firehose IntervalInSeconds hint (0-900 s); a partition is delivered this long after its oldest record arrived. @default 300 s */
  readonly bufferIntervalMs?: number
  readonly logger: Logger
  /** @default () => new Date() */
  readonly now?: () => Date
}

interface Partition {
  readonly deviceId: string
  readonly spoolPath: string
  /** Open append descriptor of the spool; undefined for a recovered spool. */
  fd: number | undefined
  arrival: Date
  bytes: number
  timer: NodeJS.Timeout | undefined
}

const SPOOL_DIR = '.spool'

/**
 * Firehose semantics on a local folder. Records are appended to a per-partition spool file before `put` resolves
 * (so a record acknowledged to the router survives a restart, as one acknowledged by Firehose does), and the spool
 * becomes one GZIP object of newline-delimited JSON when the partition's buffer reaches the size or interval hint.
 */
export function createLocalArchiveStream(options: LocalArchiveOptions): ArchiveStream & { start(): Promise<void> } {
  const prefix = options.prefix ?? 'archive'
  const streamName = options.streamName ?? 'edgetwin-archive'
  const sizeLimit = options.bufferSizeBytes ?? 5 * 1024 * 1024
  const intervalMs = options.bufferIntervalMs ?? 300_000
  const now = options.now ?? (() => new Date())
  const log = options.logger
  const spoolDir = join(options.root, SPOOL_DIR, prefix.replaceAll('/', '_') || '_')
  mkdirSync(spoolDir, { recursive: true })
  const partitions = new Map<string, Partition>()
  let closed = false

  const deliver = (p: Partition): void => {
    if (p.timer) clearTimeout(p.timer)
    partitions.delete(p.deviceId)
    if (p.fd !== undefined) closeSync(p.fd)
    p.fd = undefined
    if (p.bytes === 0) return
    const body = readFileSync(p.spoolPath)
    const key = archiveObjectKey(prefix, p.deviceId, p.arrival, streamName, randomUUID())
    const target = join(options.root, key)
    mkdirSync(dirname(target), { recursive: true })
    // Write then rename, so a reader never sees half an object (S3 PUT is atomic too).
    // Level 1: the archive is written once and read rarely; it is 3-4x cheaper than the default 6 for ~20% more bytes.
    writeFileSync(`${target}.tmp`, gzipSync(body, { level: 1 }))
    renameSync(`${target}.tmp`, target)
    unlinkSync(p.spoolPath)
    log.debug({ deviceId: p.deviceId, key, bytes: p.bytes }, 'archive object delivered')
  }

  const partitionFor = (deviceId: string, arrival: Date): Partition => {
    let p = partitions.get(deviceId)
    if (!p) {
      const spoolPath = join(spoolDir, `${deviceId}.ndjson`)
      p = { deviceId, spoolPath, fd: openSync(spoolPath, 'a'), arrival, bytes: 0, timer: undefined }
      partitions.set(deviceId, p)
      const created = p
      if (intervalMs > 0) {
        created.timer = setTimeout(() => deliver(created), intervalMs)
        created.timer.unref()
      }
    }
    return p
  }

  return {
    async start() {
      // Recover spools a previous run left behind: they hold acknowledged records.
      for (const name of readdirSync(spoolDir)) {
        if (!name.endsWith('.ndjson')) continue
        const spoolPath = join(spoolDir, name)
        const deviceId = name.slice(0, -'.ndjson'.length)
        const st = statSync(spoolPath)
        deliver({
          deviceId,
          spoolPath,
          fd: undefined,
          arrival: st.birthtime.getTime() > 0 ? st.birthtime : st.mtime,
          bytes: st.size,
          timer: undefined,
        })
      }
    },
    async put(records) {
      if (closed) throw new CloudError('CLOUD_CLOSED', 'archive stream is closed')
      // One string per device, encoded once: cheaper than a Buffer per record.
      const byDevice = new Map<string, string[]>()
      for (const r of records) {
        const line = JSON.stringify(r)
        // A UTF-8 byte is at most 3 per UTF-16 unit here, so only long lines need measuring.
        if (line.length * 3 >= FIREHOSE_MAX_RECORD_BYTES && Buffer.byteLength(line) + 1 > FIREHOSE_MAX_RECORD_BYTES) {
          throw new CloudError(
            'CLOUD_ARCHIVE_RECORD_TOO_LARGE',
            `record of ${Buffer.byteLength(line) + 1} bytes exceeds Firehose's ${FIREHOSE_MAX_RECORD_BYTES} bytes`,
          )
        }
        const list = byDevice.get(r.DeviceId)
        if (list) list.push(line)
        else byDevice.set(r.DeviceId, [line])
      }
      const arrival = now()
      for (const [deviceId, lines] of byDevice) {
        const p = partitionFor(deviceId, arrival)
        const chunk = Buffer.from(`${lines.join('\n')}\n`)
        // write(2) to the open spool: in the page cache once it returns, so it survives a crash of this process.
        writeSync(p.fd!, chunk)
        p.bytes += chunk.length
        if (p.bytes >= sizeLimit || intervalMs === 0) deliver(p)
      }
      return { written: records.length, rejected: NOTHING_REJECTED }
    },
    async flush() {
      for (const p of [...partitions.values()]) deliver(p)
    },
    async close() {
      if (closed) return
      closed = true
      for (const p of [...partitions.values()]) deliver(p)
    },
  }
}
