import type { TimeSeriesPoint, TimeSeriesReader } from '@edgetwin/cloud'

const MINUTE_MS = 60_000
const HOUR_MS = 60 * MINUTE_MS
const DAY_MS = 24 * HOUR_MS
const YEAR_MS = 366 * DAY_MS

/**
 * The newest sample of a turbine, wherever it is in time: samples carry the turbine's own clock (virtual time in
 * the simulator), so "the last hour" ends at its newest sample, not at the server's now. Recent data costs one
 * small range read; older data is found through per-window counts (the store's GROUP BY time), coarse to fine.
 */
export async function newestTurbineSample(reader: TimeSeriesReader, deviceId: string, nowMs: number): Promise<TimeSeriesPoint | undefined> {
  const measurement = 'turbine' as const
  const recent = await reader.range({ deviceId, measurement, fromMs: nowMs - MINUTE_MS, toMs: nowMs + HOUR_MS })
  if (recent.length > 0) return recent[recent.length - 1]
  let fromMs = 0
  let toMs = nowMs + YEAR_MS
  for (const windowMs of [YEAR_MS, DAY_MS, HOUR_MS]) {
    const windows = await reader.windows({ deviceId, measurement, field: 'rotorSpeedRpm', fromMs, toMs, windowMs })
    const last = windows[windows.length - 1]
    if (!last) return undefined
    fromMs = last.windowStartMs
    toMs = last.windowStartMs + windowMs
  }
  const points = await reader.range({ deviceId, measurement, fromMs, toMs })
  return points[points.length - 1]
}
