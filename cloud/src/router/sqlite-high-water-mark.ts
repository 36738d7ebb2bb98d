import type { SinkName, StreamName } from '@edgetwin/shared-schemas'
import type { Database } from 'better-sqlite3'
import type { HighWaterMarkStore } from './high-water-mark.js'

type Marks = Partial<Record<SinkName, number>>

/**
 * SQLite high-water marks. The local router is the file's only writer, so reads are served from a write-through cache.
 * `advanceWith` commits a sink's rows (tracker, archive spool in the same file) together with the mark; inside
 * `transaction` each one is a savepoint, and all of them commit at once.
 */
export function createSqliteHighWaterMarkStore(db: Database): HighWaterMarkStore {
  db.exec(`CREATE TABLE IF NOT EXISTS high_water_marks (
    device_id TEXT NOT NULL, stream TEXT NOT NULL, sink TEXT NOT NULL, seq INTEGER NOT NULL,
    PRIMARY KEY (device_id, stream, sink)) WITHOUT ROWID`)
  const select = db.prepare('SELECT sink, seq FROM high_water_marks WHERE device_id = ? AND stream = ?')
  const upsert = db.prepare(`INSERT INTO high_water_marks (device_id, stream, sink, seq) VALUES (?, ?, ?, ?)
    ON CONFLICT (device_id, stream, sink) DO UPDATE SET seq = excluded.seq WHERE excluded.seq > high_water_marks.seq`)
  const writeAndAdvance = db.transaction((deviceId: string, stream: StreamName, sink: SinkName, seq: number, write: () => unknown) => {
    const result = write()
    return { result, changed: upsert.run(deviceId, stream, sink, seq).changes > 0 }
  })
  const cache = new Map<string, Marks>()
  const load = (deviceId: string, stream: StreamName): Marks => {
    const key = `${deviceId}\0${stream}`
    let marks = cache.get(key)
    if (!marks) {
      marks = {}
      for (const row of select.all(deviceId, stream) as Array<{ sink: SinkName; seq: number }>) marks[row.sink] = row.seq
      cache.set(key, marks)
    }
    return marks
  }
  /** Marks raised inside the open `transaction`, applied to the cache once it has committed. */
  let pending: Array<{ marks: Marks; sink: SinkName; seq: number }> | undefined
  const outer = db.transaction((fn: () => unknown) => fn())
  return {
    async get(deviceId, stream) {
      return { ...load(deviceId, stream) }
    },
    async advance(deviceId, stream, sink, seq) {
      const changed = upsert.run(deviceId, stream, sink, seq).changes > 0
      if (changed) load(deviceId, stream)[sink] = seq
      return changed
    },
    advanceWith(deviceId, stream, sink, seq, write) {
      const { result, changed } = writeAndAdvance(deviceId, stream, sink, seq, write)
      // The cache moves only once the transaction has committed: a rolled-back write must be retried, not dropped.
      if (changed) {
        const marks = load(deviceId, stream)
        if (pending) pending.push({ marks, sink, seq })
        else marks[sink] = seq
      }
      return result as ReturnType<typeof write>
    },
    transaction(fn) {
      if (pending) return fn()
      pending = []
      try {
        const result = outer(fn)
        for (const p of pending) p.marks[p.sink] = p.seq
        return result as ReturnType<typeof fn>
      } finally {
        pending = undefined
      }
    },
    async close() {},
  }
}
