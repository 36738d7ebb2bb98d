import { bearingDeg, destination, distanceM, type LonLat, lerp } from './geo.js'
import { createRng, deriveSeed } from './rng.js'

/** One stretch of a day: driving from `from` to `to`, or parked at `from` (`to` equal). */
export interface Segment {
  readonly startMs: number
  readonly endMs: number
  readonly from: LonLat
  readonly to: LonLat
  readonly speedMps: number
  readonly headingDeg: number
}

export interface DayPlan {
  readonly startMs: number
  readonly endMs: number
  readonly segments: readonly Segment[]
}

export interface JourneyOptions {
  /** Stops per day. @default [4, 9] */
  readonly stops?: readonly [number, number]
  /** How far from the base a stop may be, metres. @default [2000, 14000] */
  readonly radiusM?: readonly [number, number]
  /** Street speeds of a leg, m/s (about 15-45 km/h, London traffic). @default [4, 12.5] */
  readonly speedMps?: readonly [number, number]
  /** Time parked at a stop, seconds. @default [180, 1500] */
  readonly dwellS?: readonly [number, number]
}

const DAY_MS = 86_400_000

/**
 * A delivery day: leave the base between 07:00 and 08:30 UTC, drive at street speed to a handful of stops around
 * the base (each a few km away, so bases near the zone edge drift in and out of it), park at each, and drive
 * home. Pure: the same (seed, vehicle index, day) gives the same day. Days never cross midnight in UTC or London.
 */
export function planDay(
  base: LonLat,
  dayStartUtcMs: number,
  seed: number,
  vehicleIndex: number,
  day: number,
  options: JourneyOptions = {},
): DayPlan {
  const rng = createRng(deriveSeed(seed, vehicleIndex, day))
  const [minStops, maxStops] = options.stops ?? [4, 9]
  const [minR, maxR] = options.radiusM ?? [2000, 14000]
  const [minV, maxV] = options.speedMps ?? [4, 12.5]
  const [minDwell, maxDwell] = options.dwellS ?? [180, 1500]
  const startMs = dayStartUtcMs + Math.round(rng.between(7 * 3600, 8.5 * 3600)) * 1000
  // Stay well clear of 23:00 UTC (midnight BST): the day-boundary rule is tested on its own.
  const latestEndMs = dayStartUtcMs + 20 * 3600 * 1000
  const nStops = minStops + Math.floor(rng.next() * (maxStops - minStops + 1))
  const segments: Segment[] = []
  let t = startMs
  let here: LonLat = base
  const drive = (to: LonLat) => {
    const speedMps = rng.between(minV, maxV)
    const durMs = Math.max(1000, Math.round((distanceM(here, to) / speedMps) * 1000))
    segments.push({ startMs: t, endMs: t + durMs, from: here, to, speedMps, headingDeg: bearingDeg(here, to) })
    t += durMs
    here = to
  }
  // A general direction for the day, so a vehicle sweeps one side of its base and some days cross the zone edge.
  const heading = rng.between(0, 360)
  for (let i = 0; i < nStops; i++) {
    const stop = destination(base, (heading + rng.between(-70, 70) + 360) % 360, rng.between(minR, maxR))
    const homeMs = (distanceM(stop, base) / minV) * 1000
    if (t + (distanceM(here, stop) / minV) * 1000 + homeMs + maxDwell * 1000 > latestEndMs) break
    drive(stop)
    const dwellMs = Math.round(rng.between(minDwell, maxDwell)) * 1000
    segments.push({
      startMs: t,
      endMs: t + dwellMs,
      from: here,
      to: here,
      speedMps: 0,
      headingDeg: segments[segments.length - 1]!.headingDeg,
    })
    t += dwellMs
  }
  drive(base)
  return { startMs, endMs: t, segments }
}

/** Where the vehicle truly is at `tMs` (clamped to the day). */
export function positionAt(plan: DayPlan, tMs: number): { lonLat: LonLat; speedMps: number; headingDeg: number } {
  const segs = plan.segments
  let lo = 0
  let hi = segs.length - 1
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (segs[mid]!.endMs <= tMs) lo = mid + 1
    else hi = mid
  }
  const s = segs[lo]!
  const f = s.endMs === s.startMs ? 1 : Math.min(1, Math.max(0, (tMs - s.startMs) / (s.endMs - s.startMs)))
  return { lonLat: lerp(s.from, s.to, f), speedMps: s.speedMps, headingDeg: s.headingDeg }
}

/** Sample instants of a day: every `intervalS` from its start, and its end (the vehicle is home). */
export function sampleTimes(plan: DayPlan, intervalS: number): number[] {
  const out: number[] = []
  for (let t = plan.startMs; t < plan.endMs; t += intervalS * 1000) out.push(t)
  out.push(plan.endMs)
  return out
}

export { DAY_MS }
