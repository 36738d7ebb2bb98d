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
  /**
   * Where a replayable source must resume reading to rebuild this window after a restart: its watermark just
   * before the batch that opened the window (`null`: from the source's start). Absent for sources that cannot
   * be re-read (their checkpoints keep the values instead).
   */
  readonly resumeFrom?: string | null
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

/** A (device, window) that received readings after it closed. */
export interface LateWindow {
  readonly deviceId: string
  readonly windowStartMs: number
  readonly windowEndMs: number
}

export interface AddResult {
  readonly accepted: number
  /** Readings for windows already closed (they arrived after the allowed lateness). */
  readonly late: number
  /** The closed windows those late readings belong to, one entry per (device, window), oldest first. */
  readonly lateWindows: LateWindow[]
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

  /** `isClosed` for a reading's window: such readings are late and not added. */
  isLate(timeMs: number): boolean {
    return this.#closedUpToMs !== null && this.windowStartOf(timeMs) + this.#options.windowMs <= this.#closedUpToMs
  }

  /**
   * Adds readings to their open windows. `resumeFrom` is recorded on every window this call opens (see
   * {@link OpenWindow.resumeFrom}); leave it undefined for sources that cannot be re-read.
   */
  add(readings: Iterable<Reading>, resumeFrom?: string | null): AddResult {
    let accepted = 0
    let late = 0
    let overflow = 0
    const lateWindows = new Map<string, LateWindow>()
    for (const r of readings) {
      if (!Number.isFinite(r.value) || !Number.isFinite(r.timeMs)) continue
      const windowStartMs = this.windowStartOf(r.timeMs)
      if (this.isLate(r.timeMs)) {
        late++
        const lateKey = `${r.deviceId}\u0000${windowStartMs}`
        if (!lateWindows.has(lateKey)) {
          lateWindows.set(lateKey, { deviceId: r.deviceId, windowStartMs, windowEndMs: windowStartMs + this.#options.windowMs })
        }
        continue
      }
      const key = keyOf(r.deviceId, r.metric, windowStartMs)
      let w = this.#open.get(key)
      if (!w) {
        w = { deviceId: r.deviceId, metric: r.metric, windowStartMs, values: [], ...(resumeFrom !== undefined ? { resumeFrom } : {}) }
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
    const sortedLate = [...lateWindows.values()].sort((a, b) => a.windowStartMs - b.windowStartMs || a.deviceId.localeCompare(b.deviceId))
    return { accepted, late, lateWindows: sortedLate, overflow }
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

  /**
   * Where a replayable source must resume to rebuild every open window: the `resumeFrom` of the oldest one
   * (windows are kept in the order they opened, and a source's watermark only grows). `undefined` when some
   * open window cannot be rebuilt by re-reading (it came from a checkpoint that held values), `noneOpen` when
   * no window is open.
   */
  resumePoint(): { readonly kind: 'noneOpen' } | { readonly kind: 'from'; readonly watermark: string | null } | undefined {
    let first: OpenWindow | undefined
    for (const w of this.#open.values()) {
      if (w.resumeFrom === undefined) return undefined
      first ??= w
    }
    return first ? { kind: 'from', watermark: first.resumeFrom ?? null } : { kind: 'noneOpen' }
  }

  get closedUpToMs(): number | null {
    return this.#closedUpToMs
  }

  snapshot(): AggregatorState {
    return {
      closedUpToMs: this.#closedUpToMs,
      maxEventTimeMs: this.#maxEventTimeMs,
      open: [...this.#open.values()].map((w) => ({ ...w, values: [...w.values] })),
    }
  }
}
