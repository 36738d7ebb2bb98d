import { closeSync, copyFileSync, openSync, readdirSync, statSync, truncateSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { createAgent } from '@edgetwin/agent'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { freePort } from '../support/ports.js'
import { agentConfig, Collector, mosquittoSuite, sample } from './support.js'

const RECORDS = 2000
const METRICS_ID_BASE = 2 ** 48 // metrics is stream index 1: row id = 1 * 2^48 + seq

/** Seqs whose row a point lookup can still read in a copy of `path` (an independent view of what is salvageable). */
function pointReadable(path: string, scratch: string): number[] {
  copyFileSync(path, scratch)
  let db: Database.Database
  try {
    db = new Database(scratch, { readonly: true })
    // SQLite refuses a file shorter than its header says unless writable_schema is on (and defensive mode off).
    db.unsafeMode(true)
    db.pragma('writable_schema = ON')
    db.pragma('schema_version')
  } catch {
    return []
  }
  let get: Database.Statement
  try {
    get = db.prepare('SELECT data FROM outbox WHERE id = ?').pluck()
  } catch {
    db.close()
    return [] // no outbox table at all (an empty file)
  }
  const ok: number[] = []
  for (let seq = 1; seq <= RECORDS; seq++) {
    try {
      if (get.get(METRICS_ID_BASE + seq) !== undefined) ok.push(seq)
    } catch {}
  }
  db.close()
  return ok
}

/** Overwrites page `pageNo` (1-based) with garbage. */
function smashPage(path: string, pageNo: number, pageSize: number): void {
  const fd = openSync(path, 'r+')
  writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, (pageNo - 1) * pageSize)
  closeSync(fd)
}

describe('a corrupt outbox', { timeout: 120_000 }, () => {
  const suite = mosquittoSuite()

  /** Fills an outbox offline with RECORDS samples, damages it, restarts against the broker and checks the outcome. */
  async function damageAndRestart(name: string, damage: (path: string) => void) {
    const dataDir = join(suite.dir, name)
    const offline = createAgent(agentConfig(`mqtt://127.0.0.1:${await freePort()}`, dataDir))
    await offline.start()
    await Promise.all(Array.from({ length: RECORDS }, (_, i) => offline.accept('metrics', sample(i))))
    await offline.close()
    const path = join(dataDir, 'outbox.db')
    damage(path)
    const expected = pointReadable(path, join(suite.dir, `${name}-copy.db`))

    const collector = await Collector.connect(suite.broker.url, `dt/edgetwin/+/${name}/+`)
    const agent = createAgent(agentConfig(suite.broker.url, dataDir, { deviceId: name }))
    await agent.start() // before the fix: AGENT_DB_ERROR, on every restart
    try {
      await collector.waitFor(
        () => collector.distinct('metrics').size >= expected.length && collector.seqs('events').length >= 1,
        60_000,
        `${expected.length} salvaged records and the salvage event`,
      )
      const after = await agent.accept('metrics', sample(RECORDS))
      await collector.waitFor(() => collector.distinct('metrics').has(after.seq!), 30_000, 'a record accepted after the salvage')
      expect([...collector.distinct('metrics')].filter((s) => s !== after.seq).sort((a, b) => a - b)).toEqual(expected)
      // A fresh outbox never reuses a seq the cloud may have seen: it resumes above everything issued.
      expect(after.seq).toBeGreaterThan(RECORDS)
      const event = collector.records.find((r) => r.stream === 'events')!.data as { type: string; data: Record<string, unknown> }
      expect(event.type).toBe('agent.outbox-salvaged')
      expect(event.data.salvagedRecords).toBe(expected.length)
      expect(agent.health().lastError?.code).toBe('AGENT_OUTBOX_SALVAGED')
      expect(collector.errors).toEqual([])
      return { event, dataDir, expected }
    } finally {
      await agent.close()
      await collector.close()
    }
  }

  const aside = (dataDir: string) => readdirSync(dataDir).filter((f) => /^outbox\.db\.damaged-\d{4}-\d\d-\d\dT[\d-]+Z$/.test(f))

  it('with a garbage page: salvages every readable row, moves the file aside, starts fresh, reports it', async () => {
    const { event, dataDir, expected } = await damageAndRestart('page', (path) => {
      const db = new Database(path, { readonly: true })
      const pageSize = db.pragma('page_size', { simple: true }) as number
      const leaves = db
        .prepare("SELECT pageno FROM dbstat WHERE name = 'outbox' AND pagetype = 'leaf' ORDER BY pageno")
        .pluck()
        .all() as number[]
      db.close()
      smashPage(path, leaves[Math.floor(leaves.length / 2)]!, pageSize)
    })
    expect(expected.length).toBeGreaterThan(RECORDS / 2)
    expect(expected.length).toBeLessThan(RECORDS)
    expect(event.data.cause).toBe('corrupt')
    expect(aside(dataDir)).toHaveLength(1)
  })

  it('with a garbage header: nothing readable, still starts on a fresh outbox and says so', async () => {
    const { event, dataDir, expected } = await damageAndRestart('header', (path) => smashPage(path, 1, 100))
    expect(expected).toEqual([])
    expect(event.data.cause).toBe('corrupt')
    expect(aside(dataDir)).toHaveLength(1)
  })

  it('cut to half its size: salvages the first half', async () => {
    const { expected } = await damageAndRestart('half', (path) => truncateSync(path, Math.floor(statSync(path).size / 2)))
    expect(expected.length).toBeGreaterThan(0)
    expect(expected.length).toBeLessThan(RECORDS)
  })

  it('emptied to 0 bytes after holding records: reported, not silently empty', async () => {
    const { event, expected } = await damageAndRestart('empty', (path) => truncateSync(path, 0))
    expect(expected).toEqual([])
    expect(event.data.cause).toBe('empty')
  })
})
