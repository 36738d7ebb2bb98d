import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import mqtt from 'mqtt'
import { createAgent } from '../src/index.js'
import { ENVELOPE_OVERHEAD_BYTES, PER_RECORD_OVERHEAD_BYTES } from '../src/publish/envelope-batch.js'
import { publishPipelined } from './publish-pipeline.js'
import { type RecordSize, recordRing, recordsOf } from './records.js'

export interface PhaseResult {
  readonly [key: string]: number
}

/** CPU seconds this process used since `since` (all its threads: the main one, the libuv pool). */
export function cpuSeconds(since: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(since)
  return (c.user + c.system) / 1e6
}

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'edgetwin-bench-'))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Peak RSS, with the V8 heap and the memory outside it (Buffers, zlib, SQLite) at the moment of the peak. */
export interface RssPeak {
  readonly rssMb: number
  readonly heapMb: number
  /** RSS not in the V8 heap: the Node binary's pages, native allocations (SQLite, zlib), Buffers. */
  readonly outsideHeapMb: number
}

export function rssSampler(): { stop: () => number; stopWithBreakdown: () => RssPeak } {
  let peak = process.memoryUsage()
  const sample = () => {
    const m = process.memoryUsage()
    if (m.rss > peak.rss) peak = m
  }
  const t = setInterval(sample, 20)
  const stopWithBreakdown = (): RssPeak => {
    clearInterval(t)
    sample()
    const mb = (b: number) => b / 2 ** 20
    return { rssMb: mb(peak.rss), heapMb: mb(peak.heapTotal), outsideHeapMb: mb(peak.rss - peak.heapTotal) }
  }
  return { stop: () => stopWithBreakdown().rssMb * 2 ** 20, stopWithBreakdown }
}

/** The agent's default batch limits (shared-schemas PublishConfig): records and JSON bytes per message. */
export const MAX_RECORDS_PER_BATCH = 500
export const MAX_BATCH_BYTES = 120 * 1024

/** Records of one batch the agent can send: as many as fit its byte limit (envelope-batch's overheads counted). */
export function recordsPerBatch(recordBytes: number): number {
  return Math.max(
    1,
    Math.min(MAX_RECORDS_PER_BATCH, Math.floor((MAX_BATCH_BYTES - ENVELOPE_OVERHEAD_BYTES) / (recordBytes + PER_RECORD_OVERHEAD_BYTES))),
  )
}

export function serialised(n: number, size: RecordSize): string[] {
  const { make } = recordsOf(size)
  return Array.from({ length: n }, (_, i) => JSON.stringify(make(i)))
}

/** The ceilings' bare outbox: WAL, synchronous=FULL, the agent's row shape, and the statements both ceilings run. */
export function ceilingOutbox(file: string, rows: readonly string[]) {
  const db = new Database(file)
  db.pragma('locking_mode = EXCLUSIVE')
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.exec('CREATE TABLE outbox (id INTEGER PRIMARY KEY, created_ms INTEGER NOT NULL, bytes INTEGER NOT NULL, data TEXT NOT NULL)')
  const insert = db.prepare('INSERT INTO outbox (id, created_ms, bytes, data) VALUES (?, ?, ?, ?)')
  const del = db.prepare('DELETE FROM outbox WHERE id BETWEEN ? AND ?')
  return {
    db,
    read: db.prepare('SELECT id, data, bytes FROM outbox WHERE id > ? ORDER BY id LIMIT ?').raw(),
    /** Rows `from`..`to` - 1 in one transaction (ids from 1). */
    insertMany: db.transaction((from: number, to: number) => {
      const now = Date.now()
      for (let i = from; i < to; i++) insert.run(i + 1, now, rows[i]!.length, rows[i]!)
    }),
    deleteMany: db.transaction((ranges: [number, number][]) => {
      for (const [a, b] of ranges) del.run(a, b)
    }),
  }
}

/**
 * The SQLite ceiling: the same rows, WAL + synchronous=FULL, inserted in transactions of 4000 (the agent's group
 * commit bound); then the publisher's side: read one batch (only the rows that fit it), delete its range, eight
 * ranges per transaction. Nothing else: no validation, no JSON, no MQTT.
 */
export function sqliteCeiling(n: number, size: RecordSize): PhaseResult {
  const tmp = tempDir()
  const rows = serialised(n, size)
  const avg = rows.reduce((a, r) => a + r.length, 0) / n
  const perBatch = recordsPerBatch(avg)
  const { db, read, insertMany, deleteMany } = ceilingOutbox(join(tmp.dir, 'ceiling.db'), rows)
  const cpu0 = process.cpuUsage()
  const start = performance.now()
  for (let i = 0; i < n; i += 4000) insertMany(i, Math.min(n, i + 4000))
  const inserted = performance.now()
  let after = 0
  let ranges: [number, number][] = []
  for (;;) {
    const batch = read.all(after, perBatch) as [number, string, number][]
    if (batch.length === 0) break
    after = batch[batch.length - 1]![0]
    ranges.push([batch[0]![0], after])
    if (ranges.length === 8) {
      deleteMany(ranges)
      ranges = []
    }
  }
  deleteMany(ranges)
  const end = performance.now()
  const cpuS = cpuSeconds(cpu0)
  db.close()
  tmp.cleanup()
  return {
    insertPerS: n / ((inserted - start) / 1000),
    pipelinePerS: n / ((end - start) / 1000),
    pipelinePerCpuS: n / cpuS,
    avgRecordBytes: avg,
    recordsPerBatch: perBatch,
  }
}

/**
 * The MQTT ceiling in the agent's unit: MQTT.js alone sending the same records in the batches the agent sends
 * (as many as fit one message), each batch spliced into an envelope and gzipped (async, as the agent does) inside
 * the timed loop, QoS 1 with the agent's window of 100. No SQLite, no validation: what MQTT.js + gzip allow.
 */
export async function mqttCeiling(url: string, n: number, protocolVersion: 4 | 5, size: RecordSize): Promise<PhaseResult> {
  const rows = serialised(n, size).map((data, i) => ({ seq: i + 1, data, bytes: data.length }))
  const perBatch = recordsPerBatch(rows.reduce((a, r) => a + r.bytes, 0) / n)
  const { stream } = recordsOf(size)
  const client = await mqtt.connectAsync(url, { protocolVersion, clientId: 'bench-ceiling', clean: true })
  const cpu0 = process.cpuUsage()
  const start = performance.now()
  let next = 0
  const { messages, bytes } = await publishPipelined(
    client,
    `dt/edgetwin/turbine/bench-ceiling/${stream}`,
    { deviceId: 'bench-ceiling', kind: 'turbine', stream },
    () => {
      const batch = rows.slice(next, next + perBatch)
      next += batch.length
      return batch
    },
  )
  const end = performance.now()
  const cpuS = cpuSeconds(cpu0)
  await client.endAsync()
  return {
    recordsPerS: n / ((end - start) / 1000),
    recordsPerCpuS: n / cpuS,
    wireBytesPerRecord: bytes / n,
    messages,
    recordsPerBatch: perBatch,
  }
}

/** The agent end to end: accept N records as fast as they resolve, until every one is PUBACKed and deleted. */
export async function agentEndToEnd(
  url: string,
  n: number,
  protocolVersion: 4 | 5,
  compression: 'gzip' | 'none',
  size: RecordSize,
  transport: 'mqttjs' | 'aws-iot-sdk' = 'mqttjs',
  /** Records per call: 1 calls `accept` for each record; more calls `acceptMany` with that many. */
  perCall = 1,
): Promise<PhaseResult> {
  const tmp = tempDir()
  const { stream, record } = recordRing(size)
  // writeCache off as in the agent: with it, this instrument's MQTT.js would build its 65,536 packet-id Buffers
  // (6 MB of heap) in the measured process (mqtt-packet's cache is per process, made by the first client to write).
  const sub = await mqtt.connectAsync(url, { protocolVersion, clientId: 'bench-sub', clean: true, writeCache: false })
  let wireBytes = 0
  let messages = 0
  sub.on('message', (_t, p) => {
    wireBytes += p.length
    messages++
  })
  // QoS 1: a QoS 0 subscriber may be dropped messages by a busy broker, and the wire figures would be too low.
  await sub.subscribeAsync(`dt/edgetwin/turbine/bench-agent/${stream}`, { qos: 1 })
  const agent = createAgent({
    deviceId: 'bench-agent',
    kind: 'turbine',
    dataDir: tmp.dir,
    logLevel: 'warn',
    healthIntervalS: 0,
    broker: { url, protocolVersion, transport },
    publish: { compression },
  })
  await agent.start()
  while (!agent.mqtt.connected) await new Promise((r) => setTimeout(r, 10))
  const rss = rssSampler()
  const cpu0 = process.cpuUsage()
  const start = performance.now()
  let acceptedAt = 0
  await new Promise<void>((resolve, reject) => {
    let next = 0
    let done = 0
    const feed = () => {
      while (next < n && next - done < 4000) {
        if (perCall === 1) {
          agent.accept(stream, record(next++)).then(() => {
            done++
            if (done === n) resolve()
            else if (next - done < 2000) feed()
          }, reject)
          continue
        }
        const records = Array.from({ length: Math.min(perCall, n - next) }, () => record(next++))
        agent.acceptMany(stream, records).then((results) => {
          const refused = results.find((r) => 'error' in r)
          if (refused) return reject((refused as { error: Error }).error)
          done += results.length
          if (done === n) resolve()
          else if (next - done < 2000) feed()
        }, reject)
      }
    }
    feed()
  })
  acceptedAt = performance.now()
  while (agent.health().counters.acked < n || agent.health().queueDepth > 0) await new Promise((r) => setTimeout(r, 2))
  const end = performance.now()
  const cpu = process.cpuUsage(cpu0)
  const peak = rss.stopWithBreakdown()
  // Every PUBLISH has reached the subscriber once its count stops moving.
  for (let last = -1; last !== messages; ) {
    last = messages
    await new Promise((r) => setTimeout(r, 300))
  }
  await agent.close()
  await sub.endAsync()
  tmp.cleanup()
  return {
    acceptPerS: n / ((acceptedAt - start) / 1000),
    endToEndPerS: n / ((end - start) / 1000),
    // The share of one core the process used (main thread, libuv pool for gzip, MQTT.js): > 1 is possible.
    cpuShare: (cpu.user + cpu.system) / 1000 / (end - start),
    endToEndPerCpuS: n / ((cpu.user + cpu.system) / 1e6),
    wireBytesPerRecord: wireBytes / n,
    messages,
    peakRssMb: peak.rssMb,
    peakHeapMb: peak.heapMb,
    peakOutsideHeapMb: peak.outsideHeapMb,
  }
}
