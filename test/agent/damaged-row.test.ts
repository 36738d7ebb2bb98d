import { statSync, truncateSync } from 'node:fs'
import { join } from 'node:path'
import { createAgent } from '@edgetwin/agent'
import { recordValidators } from '@edgetwin/shared-schemas'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { freePort } from '../support/ports.js'
import { agentConfig, Collector, mosquittoSuite, sample } from './support.js'

const RECORDS = 300

/** Seqs of the rows a reader of the file sees as damaged: not JSON, or not a valid sample any more. */
function damagedSeqs(path: string): { damaged: number[]; all: number[]; integrity: string } {
  const db = new Database(path, { readonly: true })
  try {
    const integrity = String(db.pragma('integrity_check', { simple: true }))
    const rows = db.prepare('SELECT id, data FROM outbox ORDER BY id').all() as { id: number; data: string }[]
    const damaged: number[] = []
    for (const r of rows) {
      let ok = false
      try {
        ok = recordValidators.metrics.check(JSON.parse(r.data))
      } catch {}
      if (!ok) damaged.push(r.id % 2 ** 48)
    }
    return { damaged, all: rows.map((r) => r.id % 2 ** 48), integrity }
  } finally {
    db.close()
  }
}

describe('a damaged stored row', () => {
  const suite = mosquittoSuite()

  it('is quarantined and counted when read back; every other record is delivered in valid batches', async () => {
    const dataDir = join(suite.dir, 'agent')
    const offline = createAgent(agentConfig(`mqtt://127.0.0.1:${await freePort()}`, dataDir))
    await offline.start()
    for (let i = 0; i < RECORDS; i++) await offline.accept('metrics', sample(i))
    await offline.close()

    // The real fault: the file loses its last 100 bytes (a copy cut short, a full disk on another writer).
    const path = join(dataDir, 'outbox.db')
    truncateSync(path, statSync(path).size - 100)
    const seen = damagedSeqs(path)
    expect(seen.integrity).toBe('ok')
    expect(seen.all).toHaveLength(RECORDS)
    expect(seen.damaged.length).toBeGreaterThan(0)
    const good = seen.all.filter((s) => !seen.damaged.includes(s))

    const collector = await Collector.connect(suite.broker.url, 'dt/edgetwin/turbine/+/metrics')
    const agent = createAgent(agentConfig(suite.broker.url, dataDir))
    await agent.start()
    try {
      await collector.waitFor(() => collector.distinct('metrics').size >= good.length, 60_000, `${good.length} good records`)
      for (let i = 0; i < 200 && agent.health().queueDepth > 0; i++) await new Promise((r) => setTimeout(r, 50))
      expect(collector.errors).toEqual([])
      expect([...collector.distinct('metrics')].sort((a, b) => a - b)).toEqual(good)
      const h = agent.health()
      expect(h.counters.quarantined).toBe(seen.damaged.length)
      expect(h.counters.quarantinedDamaged).toBe(seen.damaged.length)
      expect(h.queueDepth).toBe(0)
      expect(h.lastError?.code).toBe('AGENT_ROW_DAMAGED')
    } finally {
      await agent.close()
      await collector.close()
    }
    const db = new Database(path, { readonly: true })
    const q = db.prepare('SELECT first_seq, reason FROM quarantine ORDER BY first_seq').all() as { first_seq: number; reason: string }[]
    db.close()
    expect(q.map((r) => r.first_seq)).toEqual(seen.damaged)
    for (const r of q) expect(r.reason).toMatch(/^damaged row: /)
  })
})
