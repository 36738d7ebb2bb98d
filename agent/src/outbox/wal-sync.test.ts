import { fdatasync, fstatSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { isAgentError } from '../errors.js'
import { GroupCommitter } from './group-commit.js'
import { type OutboxOptions, SqliteOutbox } from './outbox.js'
import type { SyncFn } from './wal-sync.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function open(over: Partial<OutboxOptions> = {}): SqliteOutbox {
  const dir = mkdtempSync(join(tmpdir(), 'edgetwin-walsync-'))
  dirs.push(dir)
  return SqliteOutbox.open({
    path: join(dir, 'outbox.db'),
    synchronous: 'FULL',
    maxBytes: 1 << 30,
    eviction: 'drop-oldest',
    evictionOrder: [],
    ...over,
  })
}

/** A sync the test releases by hand: each call is kept until `release` runs the real fdatasync (or fails it). */
function heldSync() {
  const calls: { fd: number; callback: (err: NodeJS.ErrnoException | null) => void }[] = []
  let called: () => void = () => {}
  const sync: SyncFn = (fd, callback) => {
    calls.push({ fd, callback })
    called()
  }
  return {
    sync,
    calls,
    /** Resolves once the hook has been called `n` times in all. */
    calledTimes: (n: number) =>
      new Promise<void>((resolve) => {
        called = () => calls.length >= n && resolve()
        called()
      }),
    release: (i: number, err?: NodeJS.ErrnoException) => {
      const c = calls[i]!
      if (err) c.callback(err)
      else fdatasync(c.fd, c.callback)
    },
  }
}

/** A promise's state, observed without waiting for it. */
function track<T>(p: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false }
  p.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  )
  return state
}

const seqs = (box: SqliteOutbox) => box.readBatch('metrics', 0, 100, 1e9).map((r) => r.seq)
const errno = (code: string) => Object.assign(new Error(`${code}: simulated by the test`), { code }) as NodeJS.ErrnoException

describe('WAL sync after commit (synchronous FULL)', () => {
  it('resolves an accept only after the WAL sync of its commit completed, and sends its row only then', async () => {
    const held = heldSync()
    const box = open({ sync: held.sync })
    let commits = 0
    const gc = new GroupCommitter(box, { maxRecords: 1, maxDelayMs: 1 }, { onCommit: () => commits++ })
    const p = gc.insert('metrics', '{"n":1}', 7)
    const accept = track(p)
    await held.calledTimes(1)
    // Committed (counted in the outbox) but not durable yet: not accepted, not readable for sending.
    expect(box.depth('metrics')).toBe(1)
    await new Promise((r) => setTimeout(r, 20))
    expect(accept.settled).toBe(false)
    expect(commits).toBe(0)
    expect(seqs(box)).toEqual([])
    held.release(0)
    await expect(p).resolves.toBe(1)
    expect(commits).toBe(1)
    expect(seqs(box)).toEqual([1])
    box.close()
  })

  it('syncs the -wal file itself, the same inode after checkpoints and truncation', async () => {
    const inodes: number[] = []
    const box = open({
      sync: (fd, cb) => {
        inodes.push(fstatSync(fd).ino)
        fdatasync(fd, cb)
      },
    })
    const wal = `${box.path}-wal`
    // ~6 MiB in 2 KiB records: past the 2 MiB autocheckpoint several times, and journal_size_limit's truncation.
    for (let i = 0; i < 30; i++) {
      const rows = Array.from({ length: 100 }, () => ({ stream: 'metrics' as const, data: `"${'x'.repeat(2046)}"`, bytes: 2048 }))
      await box.commit(rows, []).durable
    }
    expect(inodes).toHaveLength(30)
    expect(new Set(inodes)).toEqual(new Set([statSync(wal).ino]))
    expect(box.readBatch('metrics', 2990, 100, 1e9).map((r) => r.seq)).toEqual(Array.from({ length: 10 }, (_, i) => 2991 + i))
    box.close()
  })

  it('covers the commits made while a sync runs with one more sync, not one each', async () => {
    const held = heldSync()
    const box = open({ sync: held.sync })
    const gc = new GroupCommitter(box, { maxRecords: 1000, maxDelayMs: 1000 })
    const first = gc.insert('metrics', '{"n":1}', 7)
    void gc.flush()
    await held.calledTimes(1)
    const later = [gc.insert('metrics', '{"n":2}', 7), gc.insert('metrics', '{"n":3}', 7)]
    void gc.flush()
    later.push(gc.insert('metrics', '{"n":4}', 7))
    void gc.flush()
    expect(held.calls).toHaveLength(1)
    held.release(0)
    await held.calledTimes(2)
    await expect(first).resolves.toBe(1)
    const secondSync = track(Promise.all(later))
    await new Promise((r) => setTimeout(r, 20))
    expect(secondSync.settled).toBe(false)
    held.release(1)
    await expect(Promise.all(later)).resolves.toEqual([2, 3, 4])
    expect(held.calls).toHaveLength(2)
    expect(seqs(box)).toEqual([1, 2, 3, 4])
    box.close()
  })

  it('rejects the accepts of a commit whose sync failed with a coded error (EIO, ENOSPC)', async () => {
    const held = heldSync()
    const box = open({ sync: held.sync })
    const errors: unknown[] = []
    const gc = new GroupCommitter(box, { maxRecords: 2, maxDelayMs: 1000 }, { onError: (e) => errors.push(e) })
    const io = [gc.insert('metrics', '{"n":1}', 7), gc.insert('metrics', '{"n":2}', 7)]
    await held.calledTimes(1)
    held.release(0, errno('EIO'))
    for (const p of io) {
      const err = await p.then(
        () => 'resolved',
        (e: unknown) => e,
      )
      expect(isAgentError(err, 'AGENT_IO_ERROR')).toBe(true)
      expect((err as Error).message).toContain(`${box.path}-wal`)
      expect((err as Error).message).toContain('EIO')
    }
    expect(errors).toHaveLength(1)
    // Not accepted, so not sent on the strength of that sync.
    expect(seqs(box)).toEqual([])
    const full = [gc.insert('metrics', '{"n":3}', 7), gc.insert('metrics', '{"n":4}', 7)]
    await held.calledTimes(2)
    held.release(1, errno('ENOSPC'))
    await expect(full[0]).rejects.toMatchObject({ code: 'AGENT_DISK_FULL' })
    await expect(full[1]).rejects.toMatchObject({ code: 'AGENT_DISK_FULL' })
    // A later sync that succeeds covers the rows left by the failed ones: they are sent (at-least-once duplicates
    // of whatever the callers retried), never lost, and their seqs are not reused.
    const ok = gc.insert('metrics', '{"n":5}', 7)
    void gc.flush()
    await held.calledTimes(3)
    held.release(2)
    await expect(ok).resolves.toBe(5)
    expect(seqs(box)).toEqual([1, 2, 3, 4, 5])
    box.close()
  })

  it('close syncs on the spot and settles a group whose sync is still on the pool', async () => {
    const held = heldSync()
    const box = open({ sync: held.sync })
    const gc = new GroupCommitter(box, { maxRecords: 1, maxDelayMs: 1 })
    const accept = gc.insert('metrics', '{"n":1}', 7)
    await held.calledTimes(1)
    box.close()
    await expect(accept).resolves.toBe(1)
    // The pooled sync returns after close: its descriptor was kept open for it and is released now.
    held.release(0)
    await new Promise((r) => setTimeout(r, 10))
  })

  it('under NORMAL never syncs and sends a row as soon as it is committed', async () => {
    const held = heldSync()
    const box = open({ sync: held.sync, synchronous: 'NORMAL' })
    const gc = new GroupCommitter(box, { maxRecords: 1, maxDelayMs: 1 })
    await expect(gc.insert('metrics', '{"n":1}', 7)).resolves.toBe(1)
    expect(seqs(box)).toEqual([1])
    expect(held.calls).toHaveLength(0)
    box.close()
  })
})
