import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { isAgentError } from '../errors.js'
import { GroupCommitter } from './group-commit.js'
import { type OutboxOptions, SqliteOutbox } from './outbox.js'

const dirs: string[] = []
function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'edgetwin-outbox-'))
  dirs.push(dir)
  return join(dir, 'outbox.db')
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function options(path: string, over: Partial<OutboxOptions> = {}): OutboxOptions {
  return {
    path,
    synchronous: 'FULL',
    maxBytes: 1 << 30,
    eviction: 'drop-oldest',
    evictionOrder: ['metrics', 'position', 'events'],
    ...over,
  }
}
const rec = (n: number) => ({ stream: 'metrics' as const, data: JSON.stringify({ n }), bytes: JSON.stringify({ n }).length })
/** Commits and waits for the WAL sync (FULL): only then are the rows readable for sending. */
async function commitDurably(box: SqliteOutbox, inserts: Parameters<SqliteOutbox['commit']>[0]) {
  const r = box.commit(inserts, [])
  await r.durable
  return r
}

describe('SqliteOutbox', () => {
  it('assigns per-stream sequence numbers that are never reused, also across restarts', async () => {
    const path = tempDb()
    let box = SqliteOutbox.open(options(path))
    const first = box.commit([rec(1), rec(2), { stream: 'events', data: '{}', bytes: 2 }], [])
    expect(first.results).toEqual([1, 2, 1])
    box.commit([], [{ stream: 'metrics', firstSeq: 1, lastSeq: 2 }])
    expect(box.depth('metrics')).toBe(0)
    box.close()
    box = SqliteOutbox.open(options(path))
    expect(box.commit([rec(3)], []).results).toEqual([3])
    expect(box.reserveSeq('metrics')).toBe(4)
    box.close()
    box = SqliteOutbox.open(options(path))
    expect((await commitDurably(box, [rec(4)])).results).toEqual([5])
    expect(box.readBatch('metrics', 0, 10, 1e9).map((r) => r.seq)).toEqual([3, 5])
    box.close()
  })

  it('refuses a second opener of the same database with AGENT_DB_LOCKED', () => {
    const path = tempDb()
    const box = SqliteOutbox.open(options(path))
    expect(() => SqliteOutbox.open(options(path))).toThrow(/in use by another agent/)
    try {
      SqliteOutbox.open(options(path))
    } catch (err) {
      expect(isAgentError(err, 'AGENT_DB_LOCKED')).toBe(true)
    }
    box.close()
    SqliteOutbox.open(options(path)).close()
  })

  it('evicts the oldest rows of the lowest-priority stream first and counts them', async () => {
    const box = SqliteOutbox.open(options(tempDb(), { maxBytes: 100 }))
    box.commit([{ stream: 'events', data: 'e'.repeat(20), bytes: 20 }], [])
    const r = await commitDurably(
      box,
      Array.from({ length: 10 }, (_, i) => ({ stream: 'metrics' as const, data: 'm'.repeat(10) + i, bytes: 10 })),
    )
    expect(r.evicted).toBe(2)
    expect(box.totalBytes()).toBe(100)
    expect(box.readBatch('metrics', 0, 100, 1e9).map((x) => x.seq)).toEqual([3, 4, 5, 6, 7, 8, 9, 10])
    expect(box.depth('events')).toBe(1)
    box.close()
  })

  it('rejects new records with AGENT_OUTBOX_FULL under reject-new', () => {
    const box = SqliteOutbox.open(options(tempDb(), { maxBytes: 50, eviction: 'reject-new' }))
    const r = box.commit(
      Array.from({ length: 7 }, () => ({ stream: 'metrics' as const, data: 'x'.repeat(10), bytes: 10 })),
      [],
    )
    expect(r.results.filter((x) => typeof x === 'number')).toEqual([1, 2, 3, 4, 5])
    expect(r.results.slice(5).every((x) => isAgentError(x, 'AGENT_OUTBOX_FULL'))).toBe(true)
    box.close()
  })

  it('expires records older than maxAge', async () => {
    let now = 1_000_000
    const box = SqliteOutbox.open(options(tempDb(), { maxAgeMs: 1000, now: () => now }))
    box.commit([rec(1), rec(2)], [])
    now += 500
    await commitDurably(box, [rec(3)])
    now += 600
    expect(box.expire()).toBe(2)
    expect(box.readBatch('metrics', 0, 10, 1e9).map((r) => r.seq)).toEqual([3])
    box.close()
  })

  it('moves a refused batch to quarantine', () => {
    const box = SqliteOutbox.open(options(tempDb()))
    box.commit([rec(1), rec(2), rec(3)], [])
    expect(box.quarantine({ stream: 'metrics', firstSeq: 1, lastSeq: 2, reasonCode: 0x95, reason: 'Packet too large' })).toBe(2)
    expect(box.quarantined()).toEqual([
      { stream: 'metrics', firstSeq: 1, lastSeq: 2, recordCount: 2, reasonCode: 0x95, reason: 'Packet too large' },
    ])
    expect(box.depth()).toBe(1)
    box.close()
  })

  it('reports a full database as AGENT_DISK_FULL, rolls back, and recovers when space returns', () => {
    const box = SqliteOutbox.open(options(tempDb(), { maxPageCount: 40 }))
    let committed = 0
    let full: unknown
    for (let i = 0; i < 200 && !full; i++) {
      try {
        const r = box.commit(
          Array.from({ length: 20 }, () => ({ stream: 'metrics' as const, data: 'y'.repeat(500), bytes: 500 })),
          [],
        )
        committed += r.results.length
      } catch (err) {
        full = err
      }
    }
    expect(isAgentError(full, 'AGENT_DISK_FULL')).toBe(true)
    expect(box.depth()).toBe(committed)
    expect(box.integrityCheck()).toBe('ok')
    box.commit([], [{ stream: 'metrics', firstSeq: 1, lastSeq: committed }])
    expect(box.commit([rec(1)], []).results).toEqual([committed + 1])
    box.close()
  })
})

describe('GroupCommitter', () => {
  it('commits many accepts in one transaction and resolves each with its seq', async () => {
    const box = SqliteOutbox.open(options(tempDb()))
    let transactions = 0
    const gc = new GroupCommitter(box, { maxRecords: 1000, maxDelayMs: 5 }, { onCommit: () => transactions++ })
    const seqs = await Promise.all(Array.from({ length: 300 }, (_, i) => gc.insert('metrics', `{"n":${i}}`, 8)))
    expect(seqs).toEqual(Array.from({ length: 300 }, (_, i) => i + 1))
    expect(transactions).toBe(1)
    box.close()
  })

  it('commits at once when the count bound is reached', async () => {
    const box = SqliteOutbox.open(options(tempDb()))
    let transactions = 0
    const gc = new GroupCommitter(box, { maxRecords: 10, maxDelayMs: 1000 }, { onCommit: () => transactions++ })
    const started = Date.now()
    await Promise.all(Array.from({ length: 30 }, () => gc.insert('metrics', '{}', 2)))
    expect(Date.now() - started).toBeLessThan(500)
    expect(transactions).toBe(3)
    box.close()
  })
})
