import type { DeadLetterReason } from '@edgetwin/shared-schemas'
import type { Database } from 'better-sqlite3'
import type { DeadLetterStore } from './dead-letter-store.js'

export function createSqliteDeadLetterStore(db: Database): DeadLetterStore {
  db.exec(`CREATE TABLE IF NOT EXISTS dead_letters (id INTEGER PRIMARY KEY AUTOINCREMENT, received_at TEXT NOT NULL,
    topic TEXT NOT NULL, reason TEXT NOT NULL, message TEXT NOT NULL, payload_bytes INTEGER NOT NULL, payload BLOB NOT NULL)`)
  const insert = db.prepare(
    'INSERT INTO dead_letters (received_at, topic, reason, message, payload_bytes, payload) VALUES (?, ?, ?, ?, ?, ?)',
  )
  const select = db.prepare('SELECT * FROM dead_letters ORDER BY id DESC LIMIT ?')
  const countAll = db.prepare('SELECT COUNT(*) FROM dead_letters').pluck()
  return {
    async put(l) {
      insert.run(l.receivedAt, l.topic, l.reason, l.message, l.payloadBytes, l.payload)
    },
    async list(options = {}) {
      const rows = select.all(options.limit ?? 100) as Array<{
        received_at: string
        topic: string
        reason: DeadLetterReason
        message: string
        payload_bytes: number
        payload: Buffer
      }>
      return rows.map((r) => ({
        receivedAt: r.received_at,
        topic: r.topic,
        reason: r.reason,
        message: r.message,
        payloadBytes: r.payload_bytes,
        payload: r.payload,
      }))
    },
    async count() {
      return countAll.get() as number
    },
    async close() {},
  }
}
