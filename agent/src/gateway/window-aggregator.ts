import { computeStats, type WindowStats } from './stats.js'

/** One numeric value of one metric of one plant device at one time, whatever source it came from. */
export interface Reading {
  readonly deviceId: string
  readonly metric: string
  readonly timeMs: number
  readonly value: number
}

export interface OpenWindow {
  readonly deviceId: string
  readonly metric: string
  readonly windowStartMs: number
  readonly values: number[]
}

/** What a checkpoint stores so a restart resumes with the same windows (JSON-serialisable). */
export interface AggregatorState {
  /** Windows ending at or before this time are closed; readings for them are late. */
  readonly closedUpToMs: number | null
  readonly maxEventTimeMs: number | null
  readonly open: readonly OpenWindow[]
}

export interface ClosedWindow extends WindowStats {
  readonly deviceId: string
  readonly metric: string
  readonly windowStartMs: number
  readonly windowEndMs: number
}

export interface AggregatorOptions {
  readonly windowMs: number
  readonly allowedLatenessMs: number
  readonly maxReadingsPerWindow: number
}

export interface AddResult {
  readonly accepted: number
  /** Readings for windows already closed (they arrived after the allowed lateness). */
  readonly late: number
  /** Readings over `maxReadingsPerWindow`. */
  readonly overflow: number
}

const keyOf = (deviceId: string, metric: string, windowStartMs: number) => `${deviceId}\u0000${metric}\u0000${windowStartMs}`

/**
 * Tumbling event-time windows per (device, metric), aligned to the epoch. Pure: no clock, no I/O. A window
 * [start, end) closes when a reading at or after `end + allowedLateness` has been seen, or when the caller
 * closes it by the clock (`closeUpTo`). The state round-trips through `snapshot()` / the constructor.
 */
export class WindowAggregator {
  readonly #options: AggregatorOptions
  readonly #open = new Map<string, OpenWindow>()
  #closedUpToMs: number | null
  #maxEventTimeMs: number | null

  constructor(options: AggregatorOptions, state?: AggregatorState) {
    if (!(options.windowMs > 0)) throw new RangeError(`windowMs must be positive, got ${options.windowMs}`)
    this.#options = options
    this.#closedUpToMs = state?.closedUpToMs ?? null
    this.#maxEventTimeMs = state?.maxEventTimeMs ?? null
    for (const w of state?.open ?? []) this.#open.set(keyOf(w.deviceId, w.metric, w.windowStartMs), { ...w, values: [...w.values] })
  }

  windowStartOf(timeMs: number): number {
    return Math.floor(timeMs / this.#options.windowMs) * this.#options.windowMs
  }

  add(readings: Iterable<Reading>): AddResult {
    let accepted = 0
    let late = 0
    let overflow = 0
    for (const r of readings) {
      if (!Number.isFinite(r.value) || !Number.isFinite(r.timeMs)) continue
      const windowStartMs = this.windowStartOf(r.timeMs)
      if (this.#closedUpToMs !== null && windowStartMs + this.#options.windowMs <= this.#closedUpToMs) {
        late++
        continue
      }
      const key = keyOf(r.deviceId, r.metric, windowStartMs)
      let w = this.#open.get(key)
      if (!w) {
        w = { deviceId: r.deviceId, metric: r.metric, windowStartMs, values: [] }
        this.#open.set(key, w)
      }
      if (w.values.length >= this.#options.maxReadingsPerWindow) {
        overflow++
        continue
      }
      // -0 becomes 0: the checkpoint is JSON, which has no negative zero.
      w.values.push(r.value === 0 ? 0 : r.value)
      accepted++
      if (this.#maxEventTimeMs === null || r.timeMs > this.#maxEventTimeMs) this.#maxEventTimeMs = r.timeMs
    }
    return { accepted, late, overflow }
  }

  /** Closes the windows the readings seen so far have moved past (event time minus the allowed lateness). */
  closeByEventTime(): ClosedWindow[] {
    if (this.#maxEventTimeMs === null) return []
    return this.closeUpTo(this.#maxEventTimeMs - this.#options.allowedLatenessMs)
  }

  /** Closes every window whose end is at or before `endLimit`; later readings for them count as late. */
  closeUpTo(endLimit: number): ClosedWindow[] {
    if (this.#closedUpToMs !== null && endLimit <= this.#closedUpToMs) return []
    this.#closedUpToMs = endLimit
    const closed: ClosedWindow[] = []
    for (const [key, w] of this.#open) {
      const windowEndMs = w.windowStartMs + this.#options.windowMs
      if (windowEndMs > endLimit) continue
      this.#open.delete(key)
      if (w.values.length === 0) continue
      closed.push({ deviceId: w.deviceId, metric: w.metric, windowStartMs: w.windowStartMs, windowEndMs, ...computeStats(w.values) })
    }
    closed.sort((a, b) => a.windowStartMs - b.windowStartMs || a.deviceId.localeCompare(b.deviceId) || a.metric.localeCompare(b.metric))
    return closed
  }

  get openWindowCount(): number {
    return this.#open.size
  }

  snapshot(): AggregatorState {
    return {
      closedUpToMs: this.#closedUpToMs,
      maxEventTimeMs: this.#maxEventTimeMs,
      open: [...this.#open.values()].map((w) => ({ ...w, values: [...w.values] })),
    }
  }
}
