import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ENVELOPE_SCHEMA_VERSION, encodeEnvelope } from '@edgetwin/shared-schemas'
import Database from 'better-sqlite3'
import mqtt from 'mqtt'
import { createAgent } from '../src/index.js'
import { benchRecord } from './records.js'

export interface PhaseResult {
  readonly [key: string]: number
}

function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'edgetwin-bench-'))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

function rssSampler(): { stop: () => number } {
  let peak = process.memoryUsage().rss
  const t = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }, 20)
  return {
    stop: () => {
      clearInterval(t)
      return Math.max(peak, process.memoryUsage().rss)
    },
  }
}

/**
 * The SQLite ceiling: the same rows, WAL + synchronous=FULL, inserted in transactions of 4000 (the agent's group
 * commit bound) and deleted in ranges of 500 (one batch), eight ranges per transaction.
 */
export function sqliteCeiling(n: number): PhaseResult {
  const tmp = tempDir()
  const db = new Database(join(tmp.dir, 'ceiling.db'))
  db.pragma('locking_mode = EXCLUSIVE')
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.exec('CREATE TABLE outbox (id INTEGER PRIMARY KEY, created_ms INTEGER NOT NULL, bytes INTEGER NOT NULL, data TEXT NOT NULL)')
  const rows = Array.from({ length: n }, (_, i) => JSON.stringify(benchRecord(i)))
  const insert = db.prepare('INSERT INTO outbox (id, created_ms, bytes, data) VALUES (?, ?, ?, ?)')
  const del = db.prepare('DELETE FROM outbox WHERE id BETWEEN ? AND ?')
  const insertMany = db.transaction((from: number, to: number) => {
    const now = Date.now()
    for (let i = from; i < to; i++) insert.run(i + 1, now, rows[i]!.length, rows[i]!)
  })
  const deleteMany = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i += 500) del.run(i + 1, Math.min(to, i + 500))
  })
  const start = performance.now()
  for (let i = 0; i < n; i += 4000) insertMany(i, Math.min(n, i + 4000))
  const inserted = performance.now()
  for (let i = 0; i < n; i += 4000) deleteMany(i, Math.min(n, i + 4000))
  const end = performance.now()
  db.close()
  tmp.cleanup()
  return {
    insertPerS: n / ((inserted - start) / 1000),
    insertDeletePerS: n / ((end - start) / 1000),
    avgRecordBytes: rows.reduce((a, r) => a + r.length, 0) / n,
  }
}

/** The MQTT.js ceiling: the same records, in the same gzip envelopes of 500, published at QoS 1 with a window of 100. */
export async function mqttCeiling(url: string, n: number, protocolVersion: 4 | 5): Promise<PhaseResult> {
  const payloads: Buffer[] = []
  for (let i = 0; i < n; i += 500) {
    const records = Array.from({ length: Math.min(500, n - i) }, (_, k) => ({ seq: i + k + 1, data: benchRecord(i + k) }))
    payloads.push(
      encodeEnvelope({
        deviceId: 'bench-ceiling',
        kind: 'turbine',
        stream: 'metrics',
        schemaVersion: ENVELOPE_SCHEMA_VERSION,
        firstSeq: records[0]!.seq,
        lastSeq: records[records.length - 1]!.seq,
        sentAt: new Date().toISOString(),
        records,
      }),
    )
  }
  const client = await mqtt.connectAsync(url, { protocolVersion, clientId: 'bench-ceiling', clean: true })
  const start = performance.now()
  let next = 0
  let bytes = 0
  await new Promise<void>((resolve, reject) => {
    let inflight = 0
    let done = 0
    const pump = () => {
      while (inflight < 100 && next < payloads.length) {
        const p = payloads[next++]!
        bytes += p.length
        inflight++
        client.publish('dt/edgetwin/turbine/bench-ceiling/metrics', p, { qos: 1 }, (err) => {
          if (err) return reject(err)
          inflight--
          done++
          if (done === payloads.length) resolve()
          else pump()
        })
      }
    }
    pump()
  })
  const end = performance.now()
  await client.endAsync()
  return { recordsPerS: n / ((end - start) / 1000), wireBytesPerRecord: bytes / n }
}

/** The agent end to end: accept N records as fast as they resolve, until every one is PUBACKed and deleted. */
export async function agentEndToEnd(url: string, n: number, protocolVersion: 4 | 5, compression: 'gzip' | 'none'): Promise<PhaseResult> {
  const tmp = tempDir()
  const sub = await mqtt.connectAsync(url, { protocolVersion, clientId: 'bench-sub', clean: true })
  let wireBytes = 0
  let messages = 0
  sub.on('message', (_t, p) => {
    wireBytes += p.length
    messages++
  })
  await sub.subscribeAsync('dt/edgetwin/turbine/bench-agent/metrics', { qos: 0 })
  const agent = createAgent({
    deviceId: 'bench-agent',
    kind: 'turbine',
    dataDir: tmp.dir,
    logLevel: 'warn',
    healthIntervalS: 0,
    broker: { url, protocolVersion },
    publish: { compression },
  })
  await agent.start()
  while (!agent.mqtt.connected) await new Promise((r) => setTimeout(r, 10))
  const rss = rssSampler()
  const start = performance.now()
  let acceptedAt = 0
  await new Promise<void>((resolve, reject) => {
    let next = 0
    let done = 0
    const feed = () => {
      while (next < n && next - done < 4000) {
        agent.accept('metrics', benchRecord(next++)).then(() => {
          done++
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
  const peakRssMb = rss.stop() / 2 ** 20
  await agent.close()
  await sub.endAsync()
  tmp.cleanup()
  return {
    acceptPerS: n / ((acceptedAt - start) / 1000),
    endToEndPerS: n / ((end - start) / 1000),
    wireBytesPerRecord: wireBytes / n,
    messages,
    peakRssMb,
  }
}

/** RSS with `n` records buffered (broker unreachable), measured in a process that does nothing else. */
export async function bufferedRss(n: number): Promise<PhaseResult> {
  const tmp = tempDir()
  const agent = createAgent({
    deviceId: 'bench-rss',
    kind: 'turbine',
    dataDir: tmp.dir,
    logLevel: 'silent',
    healthIntervalS: 0,
    // Nothing listens on port 1 of loopback: the agent buffers everything.
    broker: { url: 'mqtt://127.0.0.1:1' },
    outbox: { maxBytes: 1024 * 1024 * 1024 },
  })
  await agent.start()
  const baselineRssMb = process.memoryUsage().rss / 2 ** 20
  const rss = rssSampler()
  const start = performance.now()
  const batch = 5000
  for (let i = 0; i < n; i += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, n - i) }, (_, k) => agent.accept('metrics', benchRecord(i + k))))
    // Let timers (the RSS sampler) run between batches.
    await new Promise((r) => setImmediate(r))
  }
  const end = performance.now()
  const depth = agent.health().queueDepth
  const peakRssMb = rss.stop() / 2 ** 20
  await agent.close()
  tmp.cleanup()
  return { buffered: depth, peakRssMb, baselineRssMb, acceptPerS: n / ((end - start) / 1000) }
}
