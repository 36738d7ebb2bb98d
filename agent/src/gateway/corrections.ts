import type { DeviceEvent, GatewayProcessingConfig } from '@edgetwin/shared-schemas'
import { type WindowResult, windowResult } from './alarms.js'
import { computeStats } from './stats.js'
import type { ClosedWindow, LateWindow, Reading } from './window-aggregator.js'

/** A source that can read one device's window again (the site table). */
export interface WindowReader {
  readWindow(deviceId: string, startMs: number, endMs: number, limit: number): Promise<Reading[]>
}

/** One row of the site results table, as read back. */
export interface StoredResult {
  readonly deviceId: string
  readonly metric: string
  readonly windowStartMs: number
  readonly count: number
  readonly mean: number | null
  readonly min: number | null
  readonly max: number | null
  readonly p95: number | null
  readonly alarms: readonly string[]
}

/** A closed window whose recomputed content differs from what was written and sent. */
export interface Correction {
  readonly result: WindowResult
  /** Alarm events for alarms the window did not raise before (an alarm already sent is not sent again). */
  readonly newAlarmEvents: DeviceEvent[]
}

interface RecomputeDeps {
  readonly reader: WindowReader
  readonly results: {
    read?(keys: ReadonlyArray<{ readonly deviceId: string; readonly windowStartMs: number }>): Promise<StoredResult[]>
  } | null
  readonly processing: GatewayProcessingConfig
  readonly upstreamId: (deviceId: string) => string
}

const keyOf = (deviceId: string, metric: string, windowStartMs: number) => `${deviceId}\u0000${metric}\u0000${windowStartMs}`

/** Relative difference small enough to be the same mean summed in another order. */
function same(a: number | null, b: number | null): boolean {
  if (a === null || b === null) return a === b
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b))
}

function unchanged(w: ClosedWindow, stored: StoredResult | undefined): boolean {
  return (
    stored !== undefined &&
    stored.count === w.count &&
    same(stored.mean, w.mean) &&
    same(stored.min, w.min) &&
    same(stored.max, w.max) &&
    same(stored.p95, w.p95)
  )
}

/**
 * Rows that arrive after their window closed (later than `allowedLatenessS`, e.g. from clock skew between the
 * gateway and the database host) are not dropped: each such (device, window) is read again from the site table,
 * its statistics recomputed with the same rules as a live window, and compared with the stored result. Only
 * windows whose numbers changed become corrections (written back and sent upstream), so re-reading rows after
 * a restart never produces a correction that changes nothing.
 */
export async function recomputeLateWindows(late: readonly LateWindow[], deps: RecomputeDeps): Promise<Correction[]> {
  const { processing, reader } = deps
  const recomputed: ClosedWindow[] = []
  for (const lw of late) {
    const readings = await reader.readWindow(lw.deviceId, lw.windowStartMs, lw.windowEndMs, processing.maxReadingsPerWindow)
    const byMetric = new Map<string, number[]>()
    for (const r of readings) {
      let values = byMetric.get(r.metric)
      if (!values) {
        values = []
        byMetric.set(r.metric, values)
      }
      if (values.length < processing.maxReadingsPerWindow) values.push(r.value === 0 ? 0 : r.value)
    }
    for (const [metric, values] of byMetric) {
      recomputed.push({
        deviceId: lw.deviceId,
        metric,
        windowStartMs: lw.windowStartMs,
        windowEndMs: lw.windowEndMs,
        ...computeStats(values),
      })
    }
  }
  const stored = new Map<string, StoredResult>()
  if (deps.results?.read && recomputed.length > 0) {
    for (const s of await deps.results.read(late)) stored.set(keyOf(s.deviceId, s.metric, s.windowStartMs), s)
  }
  const corrections: Correction[] = []
  for (const w of recomputed) {
    const before = stored.get(keyOf(w.deviceId, w.metric, w.windowStartMs))
    if (unchanged(w, before)) continue
    const result = windowResult(w, processing.alarms, deps.upstreamId)
    const alreadyRaised = new Set(before?.alarms ?? [])
    const newAlarmEvents = result.events.filter((e) => !alreadyRaised.has(String((e.data as { alarm?: unknown } | undefined)?.alarm)))
    corrections.push({ result, newAlarmEvents })
  }
  return corrections
}
