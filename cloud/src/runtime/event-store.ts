import type { Database } from 'better-sqlite3'

/** A position event a target gave up on: EventBridge's dead-letter queue message, with why and how often. */
export interface EventDeadLetter {
  readonly id: number
  readonly target: string
  /** The event JSON as it was delivered. */
  readonly event: string
  readonly attempts: number
  /** When the event was first published (ms since epoch). */
  readonly publishedMs: number
  readonly failedMs: number
  readonly error: string
}

/** Per target: deliveries waiting (first attempt or a retry) and dead letters. */
export interface EventTargetCounts {
  readonly pending: number
  readonly deadLetters: number
}

/**
 * The durable state of the local event bus in SQLite: events, one delivery row per (event, target) until the
 * target has it, and the dead letters. Shared by the running bus and by the CLI (`edgetwin cloud replay`), which
 * opens the same database: a replayed letter becomes a due delivery that the running bus picks up on its next poll.
 */
export function createEventStore(db: Database) {
  db.exec(`CREATE TABLE IF NOT EXISTS bus_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, published_ms INTEGER NOT NULL,
    event TEXT NOT NULL)`)
  db.exec(`CREATE TABLE IF NOT EXISTS bus_deliveries (event_seq INTEGER NOT NULL, target TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, next_ms INTEGER NOT NULL, last_error TEXT, PRIMARY KEY (event_seq, target)) WITHOUT ROWID`)
  db.exec('CREATE INDEX IF NOT EXISTS bus_deliveries_due ON bus_deliveries (next_ms, event_seq)')
  db.exec(`CREATE TABLE IF NOT EXISTS bus_dead_letters (id INTEGER PRIMARY KEY AUTOINCREMENT, target TEXT NOT NULL,
    event TEXT NOT NULL, attempts INTEGER NOT NULL, published_ms INTEGER NOT NULL, failed_ms INTEGER NOT NULL, error TEXT NOT NULL)`)
  const insertEvent = db.prepare('INSERT INTO bus_events (published_ms, event) VALUES (?, ?)')
  const insertDelivery = db.prepare('INSERT INTO bus_deliveries (event_seq, target, next_ms) VALUES (?, ?, ?)')
  const due = db.prepare(`SELECT d.event_seq AS seq, d.target, d.attempts, e.published_ms AS publishedMs, e.event
    FROM bus_deliveries d JOIN bus_events e ON e.seq = d.event_seq
    WHERE d.next_ms <= ? AND d.target IN (SELECT value FROM json_each(?)) ORDER BY d.next_ms, d.event_seq LIMIT ?`)
  const deleteDelivery = db.prepare('DELETE FROM bus_deliveries WHERE event_seq = ? AND target = ?')
  const deleteEventIfDone = db.prepare(
    'DELETE FROM bus_events WHERE seq = ? AND NOT EXISTS (SELECT 1 FROM bus_deliveries WHERE event_seq = ?)',
  )
  const reschedule = db.prepare('UPDATE bus_deliveries SET attempts = ?, next_ms = ?, last_error = ? WHERE event_seq = ? AND target = ?')
  const insertLetter = db.prepare(
    'INSERT INTO bus_dead_letters (target, event, attempts, published_ms, failed_ms, error) VALUES (?, ?, ?, ?, ?, ?)',
  )
  const letters = db.prepare(
    'SELECT id, target, event, attempts, published_ms, failed_ms, error FROM bus_dead_letters ORDER BY id DESC LIMIT ?',
  )
  const lettersToReplay = db.prepare(`SELECT id, target, event FROM bus_dead_letters WHERE (? IS NULL OR target = ?) ORDER BY id LIMIT ?`)
  const deleteLetter = db.prepare('DELETE FROM bus_dead_letters WHERE id = ?')
  const pendingByTarget = db.prepare('SELECT target, COUNT(*) AS n FROM bus_deliveries GROUP BY target')
  const lettersByTarget = db.prepare('SELECT target, COUNT(*) AS n FROM bus_dead_letters GROUP BY target')

  const done = (seq: number, target: string): void => {
    deleteDelivery.run(seq, target)
    deleteEventIfDone.run(seq, seq)
  }

  const deadLetterTx = db.transaction(
    (d: { seq: number; target: string; event: string; attempts: number; publishedMs: number }, nowMs: number, error: string) => {
      insertLetter.run(d.target, d.event, d.attempts, d.publishedMs, nowMs, error.slice(0, 2000))
      done(d.seq, d.target)
    },
  )
  /**
   * Sends dead letters back to their target as new deliveries due now (EventBridge's DLQ redrive): the event is
   * the same JSON, so an idempotent target that had in fact received it before writes nothing twice.
   */
  const replayTx = db.transaction((options: { target?: string; limit?: number }, nowMs: number): number => {
    const rows = lettersToReplay.all(options.target ?? null, options.target ?? null, options.limit ?? 1_000_000) as Array<{
      id: number
      target: string
      event: string
    }>
    for (const r of rows) {
      const seq = Number(insertEvent.run(nowMs, r.event).lastInsertRowid)
      insertDelivery.run(seq, r.target, nowMs)
      deleteLetter.run(r.id)
    }
    return rows.length
  })

  return {
    /** Records an event for `targets`, due now. Call inside the writer's transaction. */
    enqueue(eventJson: string, targets: readonly string[], nowMs: number): void {
      if (targets.length === 0) return
      const seq = Number(insertEvent.run(nowMs, eventJson).lastInsertRowid)
      for (const t of targets) insertDelivery.run(seq, t, nowMs)
    },
    due(nowMs: number, targets: readonly string[], limit: number) {
      return due.all(nowMs, JSON.stringify(targets), limit) as Array<{
        seq: number
        target: string
        attempts: number
        publishedMs: number
        event: string
      }>
    },
    /** The target has the event: forget the delivery (and the event once no target still needs it). */
    done,
    retryAt(seq: number, target: string, attempts: number, nextMs: number, error: string): void {
      reschedule.run(attempts, nextMs, error.slice(0, 2000), seq, target)
    },
    deadLetter(
      d: { seq: number; target: string; event: string; attempts: number; publishedMs: number },
      nowMs: number,
      error: string,
    ): void {
      deadLetterTx(d, nowMs, error)
    },
    /** Newest first. */
    listDeadLetters(limit = 100): EventDeadLetter[] {
      return (letters.all(limit) as Array<Record<string, unknown>>).map((r) => ({
        id: r['id'] as number,
        target: r['target'] as string,
        event: r['event'] as string,
        attempts: r['attempts'] as number,
        publishedMs: r['published_ms'] as number,
        failedMs: r['failed_ms'] as number,
        error: r['error'] as string,
      }))
    },
    /**
     * Sends dead letters back to their target as new deliveries due now (EventBridge's DLQ redrive): the event is
     * the same JSON, so an idempotent target that had in fact received it before writes nothing twice.
     */
    replay(options: { target?: string; limit?: number }, nowMs: number): number {
      return replayTx(options, nowMs)
    },
    counts(): Record<string, EventTargetCounts> {
      const out: Record<string, { pending: number; deadLetters: number }> = {}
      const get = (t: string) => {
        out[t] ??= { pending: 0, deadLetters: 0 }
        return out[t]
      }
      for (const r of pendingByTarget.all() as Array<{ target: string; n: number }>) get(r.target).pending = r.n
      for (const r of lettersByTarget.all() as Array<{ target: string; n: number }>) get(r.target).deadLetters = r.n
      return out
    },
    transaction: <T>(fn: () => T): T => db.transaction(fn)(),
  }
}

export type EventStore = ReturnType<typeof createEventStore>
