/**
 * A virtual clock for simulations: virtual time starts at `startTimeMs` and runs `speedup` times faster than the
 * wall clock, or as fast as the work allows (`speedup: Infinity`), or only when told (`runUntil`, for tests).
 * Work is scheduled in virtual time (`every`, `at`) and runs strictly in time order, one handler at a time; a
 * handler's promise is awaited before the next event, so slow work makes virtual time lag (see `lagMs`) instead of
 * piling up. `now()` returns a `Date`, so the clock can stand in for the wall clock (e.g. the twin's scheduler).
 */
export interface VirtualClock {
  readonly startTimeMs: number
  /** Virtual seconds per wall second; Infinity when running as fast as possible. */
  readonly speedup: number
  now(): Date
  nowMs(): number
  /** Runs `handler` every `intervalMs` of virtual time, first at `firstAtMs` (default now + intervalMs). */
  every(intervalMs: number, handler: ClockHandler, options?: { firstAtMs?: number }): () => void
  /** Runs `handler` once at virtual time `timeMs` (or at once, in order, if that is already past). */
  at(timeMs: number, handler: ClockHandler): () => void
  /** Starts running on its own, paced by `speedup`. */
  start(): void
  /** Manual stepping: runs every event due up to `timeMs`, then sets the time to `timeMs`. Not while started. */
  runUntil(timeMs: number): Promise<void>
  /** How far virtual time is behind where the pace says it should be (ms of virtual time); 0 unless started. */
  lagMs(): number
  /** Stops; waits for the handler in progress. Rejects with the first handler error when there is no `onError`. */
  close(): Promise<void>
}

export type ClockHandler = (timeMs: number) => void | Promise<void>

export interface VirtualClockOptions {
  /** Virtual epoch ms at the start. @default the wall clock at creation */
  startTimeMs?: number
  /** Virtual seconds per wall second; `Infinity` runs as fast as possible. @default 1 */
  speedup?: number
  /** Handler errors go here; without it the first error stops the clock and `close()` rejects with it. */
  onError?: (err: unknown, timeMs: number) => void
  /** Wall clock (ms), injectable for tests. @default performance.now */
  wallNowMs?: () => number
  /** As fast as possible: yield to the event loop (I/O, timers) at least this often (wall ms). @default 10 */
  yieldEveryMs?: number
}

/** Longest wall-clock sleep between looks at the wall clock. */
const MAX_SLEEP_MS = 50

interface Timer {
  dueMs: number
  readonly intervalMs: number
  readonly handler: ClockHandler
  readonly order: number
  cancelled: boolean
}

export class ClockError extends Error {
  readonly code = 'SIM_CLOCK_INVALID'
  constructor(message: string) {
    super(message)
    this.name = 'ClockError'
  }
}

export function createVirtualClock(options: VirtualClockOptions = {}): VirtualClock {
  const speedup = options.speedup ?? 1
  if (!(speedup > 0)) throw new ClockError(`speedup must be > 0 (Infinity for as fast as possible), got ${speedup}`)
  const startTimeMs = options.startTimeMs ?? Date.now()
  if (!Number.isFinite(startTimeMs)) throw new ClockError(`startTimeMs must be finite, got ${startTimeMs}`)
  const wallNow = options.wallNowMs ?? (() => performance.now())
  const yieldEveryMs = options.yieldEveryMs ?? 10
  const timers: Timer[] = []
  let order = 0
  let current = startTimeMs
  let inHandler = false
  let state: 'idle' | 'running' | 'stepping' | 'closed' = 'idle'
  let anchorWall = 0
  let anchorVirtual = startTimeMs
  let loop: Promise<void> | undefined
  let failure: unknown
  let wake: (() => void) | undefined
  let sleepTimer: NodeJS.Timeout | undefined

  const paced = () => anchorVirtual + (wallNow() - anchorWall) * speedup
  const next = (): Timer | undefined => {
    let best: Timer | undefined
    for (const t of timers)
      if (!t.cancelled && (!best || t.dueMs < best.dueMs || (t.dueMs === best.dueMs && t.order < best.order))) best = t
    return best
  }
  const remove = (t: Timer) => {
    t.cancelled = true
    const i = timers.indexOf(t)
    if (i >= 0) timers.splice(i, 1)
  }
  const schedule = (dueMs: number, intervalMs: number, handler: ClockHandler) => {
    const t: Timer = { dueMs, intervalMs, handler, order: order++, cancelled: false }
    timers.push(t)
    wake?.()
    return () => remove(t)
  }

  async function fire(t: Timer): Promise<void> {
    current = Math.max(current, t.dueMs)
    if (t.intervalMs > 0) t.dueMs += t.intervalMs
    else remove(t)
    inHandler = true
    try {
      await t.handler(current)
    } catch (err) {
      if (!options.onError) throw err
      options.onError(err, current)
    } finally {
      inHandler = false
    }
  }

  async function run(): Promise<void> {
    let lastYield = wallNow()
    while (state === 'running') {
      const t = next()
      if (speedup === Number.POSITIVE_INFINITY) {
        if (!t) {
          await new Promise<void>((resolve) => {
            wake = resolve
          })
          wake = undefined
          continue
        }
        await fire(t)
        if (wallNow() - lastYield >= yieldEveryMs) {
          await new Promise((resolve) => setImmediate(resolve))
          lastYield = wallNow()
        }
        continue
      }
      const waitMs = t ? (t.dueMs - paced()) / speedup : Number.POSITIVE_INFINITY
      if (waitMs > 0) {
        await new Promise<void>((resolve) => {
          wake = resolve
          // Re-read the wall clock at least every MAX_SLEEP_MS (it is injectable, and timers drift).
          sleepTimer = setTimeout(resolve, Math.min(waitMs, MAX_SLEEP_MS))
        })
        clearTimeout(sleepTimer)
        wake = undefined
        continue
      }
      await fire(t!)
    }
  }

  return {
    startTimeMs,
    speedup,
    now: () => new Date(Math.floor(nowMs())),
    nowMs,
    every(intervalMs, handler, opts = {}) {
      if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) throw new ClockError(`intervalMs must be a positive number, got ${intervalMs}`)
      return schedule(opts.firstAtMs ?? current + intervalMs, intervalMs, handler)
    },
    at(timeMs, handler) {
      if (!Number.isFinite(timeMs)) throw new ClockError(`timeMs must be finite, got ${timeMs}`)
      return schedule(timeMs, 0, handler)
    },
    start() {
      if (state !== 'idle') throw new ClockError(`start() on a clock that is ${state}`)
      state = 'running'
      anchorWall = wallNow()
      anchorVirtual = current
      loop = run().catch((err) => {
        failure = err
        state = 'closed'
      })
    },
    async runUntil(timeMs) {
      if (state !== 'idle') throw new ClockError(`runUntil() on a clock that is ${state}`)
      state = 'stepping'
      try {
        for (let t = next(); t && t.dueMs <= timeMs; t = next()) await fire(t)
        current = Math.max(current, timeMs)
      } finally {
        if (state === 'stepping') state = 'idle'
      }
    },
    lagMs() {
      if (state !== 'running' || speedup === Number.POSITIVE_INFINITY) return 0
      return Math.max(0, paced() - nowMs())
    },
    async close() {
      if (state !== 'closed') state = 'closed'
      wake?.()
      clearTimeout(sleepTimer)
      await loop
      if (failure) throw failure
    },
  }

  function nowMs(): number {
    if (inHandler || state !== 'running' || speedup === Number.POSITIVE_INFINITY) return current
    // Between events, paced time flows, but never past an event that has not run yet.
    const t = next()
    return Math.max(current, Math.min(paced(), t ? t.dueMs : Number.POSITIVE_INFINITY))
  }
}
