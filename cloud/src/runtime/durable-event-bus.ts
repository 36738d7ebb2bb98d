import type { LocationDevicePositionEvent } from '@edgetwin/shared-schemas'
import type { Database } from 'better-sqlite3'
import type { Logger } from 'pino'
import type { PositionEventBus, PositionEventHandler, PositionEventOutbox, SubscribeOptions } from '../event-bus.js'
import { backoffDelayMs } from '../sinks/retry.js'
import { createEventStore, type EventStore, type EventTargetCounts } from './event-store.js'

/**
 * EventBridge's target RetryPolicy ("Event retry policy and using dead-letter queues"): a failed delivery is
 * retried with exponential backoff and jitter for up to MaximumEventAgeInSeconds or MaximumRetryAttempts, then
 * sent to the dead-letter queue.
 */
export interface EventRetryPolicy {
  /** 0-185. @default 185 */
  readonly maximumRetryAttempts?: number
  /** 60-86,400 s. @default 86,400 (24 h) */
  readonly maximumEventAgeS?: number
  /** First retry after about this long; doubles per attempt. @default 1,000 */
  readonly baseDelayMs?: number
  /** @default 300,000 (5 min) */
  readonly maxDelayMs?: number
}

export interface DurableEventBusOptions {
  readonly db: Database
  readonly logger: Logger
  readonly retry?: EventRetryPolicy
  /** How often due retries and replayed dead letters are looked for. @default 1,000 */
  readonly pollIntervalMs?: number
  /** @default Date.now */
  readonly nowMs?: () => number
  /** @default Math.random */
  readonly random?: () => number
}

export interface EventBusTargetStats {
  delivered: number
  retries: number
  deadLettered: number
}

export interface EventBusHealth {
  /** Counted since start, per target. */
  readonly targets: Readonly<Record<string, EventBusTargetStats>>
  /** From the database: deliveries waiting and dead letters, per target (including those of earlier runs). */
  readonly stored: Readonly<Record<string, EventTargetCounts>>
}

export interface DurableEventBus extends PositionEventBus, PositionEventOutbox {
  readonly store: EventStore
  health(): EventBusHealth
  /** Starts delivering (call once the targets have subscribed). */
  start(): Promise<void>
  /** Stops picking up deliveries and waits for the one in flight; what is left is delivered after the next start. */
  close(): Promise<void>
}

interface Target {
  readonly handler: PositionEventHandler
  readonly inTransaction: boolean
}

/**
 * The local EventBridge: events are recorded in SQLite with one delivery per named target, in the transaction of
 * the writer that produced them (the tracker, with the router's high-water mark), then delivered after commit.
 * A target that fails is retried with capped exponential backoff and full jitter; past the policy's attempts or
 * age its delivery becomes a dead letter, which `edgetwin cloud replay` sends back. Targets are delivered
 * independently: one failing never holds the event from the others. Delivery is at least once; targets are
 * idempotent (enrichment keys objects by event id) or run inside the delivery's transaction (the archive spool).
 */
export function createDurableEventBus(options: DurableEventBusOptions): DurableEventBus {
  const store = createEventStore(options.db)
  const log = options.logger
  const nowMs = options.nowMs ?? Date.now
  const maxRetries = options.retry?.maximumRetryAttempts ?? 185
  const maxAgeMs = (options.retry?.maximumEventAgeS ?? 86_400) * 1000
  const backoff = {
    baseDelayMs: options.retry?.baseDelayMs ?? 1000,
    maxDelayMs: options.retry?.maxDelayMs ?? 300_000,
    random: options.random ?? Math.random,
  }
  const targets = new Map<string, Target>()
  /** The targets' names, copied when one subscribes or leaves, not at every event. */
  let targetNames: readonly string[] = []
  const live = new Set<PositionEventHandler>()
  const stats: Record<string, EventBusTargetStats> = {}
  let liveQueue: LocationDevicePositionEvent[] = []
  let started = false
  let closed = false
  let scheduled = false
  let again = false
  let running: Promise<void> | undefined
  let poll: NodeJS.Timeout | undefined

  const statsOf = (target: string): EventBusTargetStats => {
    stats[target] ??= { delivered: 0, retries: 0, deadLettered: 0 }
    return stats[target]
  }

  const notifyLive = async (): Promise<void> => {
    const events = liveQueue
    liveQueue = []
    for (const e of events) {
      for (const handler of [...live]) {
        try {
          await handler(e)
        } catch (err) {
          log.warn({ err, eventId: e.id }, 'live position event listener failed')
        }
      }
    }
  }

  const deliverOne = async (d: ReturnType<EventStore['due']>[number]): Promise<void> => {
    const target = targets.get(d.target)
    if (!target) return
    try {
      const event = JSON.parse(d.event) as LocationDevicePositionEvent
      if (target.inTransaction) {
        store.transaction(() => {
          target.handler(event)
          store.done(d.seq, d.target)
        })
      } else {
        await target.handler(event)
        store.transaction(() => store.done(d.seq, d.target))
      }
      statsOf(d.target).delivered++
    } catch (err) {
      const attempts = d.attempts + 1
      const at = nowMs()
      const error = err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : String(err)
      if (attempts > maxRetries || at - d.publishedMs >= maxAgeMs) {
        store.deadLetter({ ...d, attempts }, at, error)
        statsOf(d.target).deadLettered++
        log.error({ err, target: d.target, attempts, eventSeq: d.seq }, 'position event dead-lettered after retries')
      } else {
        // Full jitter, but never sooner than half the base delay, so a failing target is not spun on.
        const delay = Math.max(backoff.baseDelayMs / 2, backoffDelayMs(attempts - 1, backoff))
        store.retryAt(d.seq, d.target, attempts, at + delay, error)
        statsOf(d.target).retries++
        log.warn({ err, target: d.target, attempts, retryInMs: Math.round(delay) }, 'position event delivery failed; retrying')
      }
    }
  }

  const drain = async (): Promise<void> => {
    while (!closed) {
      // Live listeners (the console's map) first, before every batch: a durable backlog must not starve them.
      await notifyLive()
      const rows = store.due(nowMs(), targetNames, 200)
      if (rows.length === 0) return
      for (const d of rows) {
        if (closed) return
        await deliverOne(d)
      }
    }
  }

  const run = (): Promise<void> => {
    if (running) {
      again = true
      return running
    }
    running = (async () => {
      do {
        again = false
        await drain()
      } while (again && !closed)
    })()
      .catch((err: unknown) => log.error({ err }, 'event delivery loop failed'))
      .finally(() => {
        running = undefined
      })
    return running
  }

  const schedule = (): void => {
    if (scheduled || !started || closed) return
    scheduled = true
    setImmediate(() => {
      scheduled = false
      void run()
    })
  }

  const enqueue = (event: LocationDevicePositionEvent): void => {
    // With no target subscribed nothing is stored, so the event is not serialised either.
    if (targetNames.length > 0) store.enqueue(JSON.stringify(event), targetNames, nowMs())
    if (live.size > 0) liveQueue.push(event)
    // Deferred: whatever transaction this runs in has committed by the time the delivery loop reads it.
    schedule()
  }

  return {
    store,
    enqueue,
    async publish(event) {
      store.transaction(() => enqueue(event))
    },
    subscribe(handler, opts: SubscribeOptions = {}) {
      if (!opts.target) {
        live.add(handler)
        return () => {
          live.delete(handler)
        }
      }
      const name = opts.target
      targets.set(name, { handler, inTransaction: opts.inTransaction ?? false })
      targetNames = [...targets.keys()]
      schedule()
      return () => {
        targets.delete(name)
        targetNames = [...targets.keys()]
      }
    },
    health: () => ({ targets: stats, stored: store.counts() }),
    async start() {
      started = true
      poll = setInterval(() => void run(), options.pollIntervalMs ?? 1000)
      poll.unref()
      schedule()
    },
    async close() {
      closed = true
      if (poll) clearInterval(poll)
      await running
    },
  }
}
