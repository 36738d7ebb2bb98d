import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { decodeEnvelope } from '@edgetwin/shared-schemas'
import { openCloudDatabase } from '../src/runtime/sqlite.js'
import type { BenchMessage } from './router-messages.js'

/** CPU seconds of this process (every thread) that `fn` takes. */
export function cpuSecondsOf(fn: () => void): number {
  const c0 = process.cpuUsage()
  fn()
  const c = process.cpuUsage(c0)
  return (c.user + c.system) / 1e6
}

export interface Ceiling {
  readonly name: string
  readonly cpuS: number
}

/**
 * What single steps cost on the same records in the same run, each alone: the floors under the router's per-record
 * CPU (its CPU can only be above their sum), printed beside the full figure.
 */
export function measureCeilings(messages: readonly BenchMessage[]): Ceiling[] {
  const gunzipS = cpuSecondsOf(() => {
    for (const m of messages) gunzipSync(m.payload)
  })
  const parseS = cpuSecondsOf(() => {
    for (const m of messages) JSON.parse(gunzipSync(m.payload).toString('utf8'))
  })
  const decodeS = cpuSecondsOf(() => {
    for (const m of messages) decodeEnvelope(m.payload)
  })
  // The archive's lines, serialised beforehand: gzip level 1 alone, as the spool compresses them.
  const lines = messages.map((m) =>
    Buffer.from(m.envelope.records.map((r) => `${JSON.stringify({ DeviceId: m.envelope.deviceId, Seq: r.seq, Data: r.data })}\n`).join('')),
  )
  const gzipS = cpuSecondsOf(() => {
    for (const l of lines) gzipSync(l, { level: 1 })
  })
  return [
    { name: 'gunzip alone', cpuS: gunzipS },
    { name: 'gunzip + JSON.parse alone', cpuS: parseS },
    { name: 'decodeEnvelope alone (+ validation)', cpuS: decodeS },
    { name: 'gzip level 1 of the archive lines alone', cpuS: gzipS },
    { name: 'SQLite insert alone (one row per record)', cpuS: sqliteInsertCpuS(messages) },
  ]
}

/**
 * Every record as one row of a bare table keyed as the time series is, its JSON serialised beforehand: multi-row
 * INSERTs of up to 100 rows, one transaction per envelope, the router's pragmas (WAL, synchronous=NORMAL).
 */
function sqliteInsertCpuS(messages: readonly BenchMessage[]): number {
  const dir = mkdtempSync(join(tmpdir(), 'edgetwin-bench-sqlite-'))
  const db = openCloudDatabase(join(dir, 'rows.db'))
  try {
    db.exec(`CREATE TABLE rows (device_id TEXT NOT NULL, stream TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL,
      PRIMARY KEY (device_id, stream, seq)) WITHOUT ROWID`)
    const statements = new Map<number, ReturnType<typeof db.prepare>>()
    const insert = (n: number) => {
      let s = statements.get(n)
      if (!s) {
        s = db.prepare(`INSERT INTO rows VALUES ${Array.from({ length: n }, () => '(?, ?, ?, ?)').join(', ')}`)
        statements.set(n, s)
      }
      return s
    }
    const params = messages.map((m) =>
      m.envelope.records.flatMap((r) => [m.envelope.deviceId, m.envelope.stream, r.seq, JSON.stringify(r.data)]),
    )
    const write = db.transaction((p: unknown[]) => {
      for (let i = 0; i < p.length; i += 400) insert(Math.min(100, (p.length - i) / 4)).run(p.slice(i, i + 400))
    })
    return cpuSecondsOf(() => {
      for (const p of params) write(p)
    })
  } finally {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
