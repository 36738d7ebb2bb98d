import type { VehiclePosition } from '@edgetwin/shared-schemas'

const EARTH_RADIUS_M = 6_371_008.8

/** Great-circle distance in metres (haversine, mean Earth radius). */
export function distanceM(a: { lon: number; lat: number }, b: { lon: number; lat: number }): number {
  const rad = Math.PI / 180
  const dLat = (b.lat - a.lat) * rad
  const dLon = (b.lon - a.lon) * rad
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)))
}

export interface PositionFilterOptions {
  readonly distanceFilterM: number
  readonly minIntervalS: number
}

export type FilterDecision = { keep: true; previous: VehiclePosition | undefined } | { keep: false; reason: 'distance' | 'interval' }

/** Key of the last kept position in the outbox's state table (committed with that position's record). */
export const POSITION_FILTER_STATE_KEY = 'position-filter.last-kept'

/**
 * Amazon Location's `DistanceBased` position filtering: "ignores location updates where devices have moved less
 * than 30 m" — so a move of exactly 30 m is kept, as the cloud tracker keeps it (`>= 30`). Measured from the last
 * position *kept*, not the last one seen, so slow drift still registers once it adds up. An optional minimum
 * interval between kept positions comes on top.
 */
export class PositionFilter {
  private last: VehiclePosition | undefined

  constructor(private readonly options: PositionFilterOptions) {}

  /** Resumes from the last kept position persisted before a restart. */
  restore(lastKept: VehiclePosition): void {
    this.last = lastKept
  }

  decide(position: VehiclePosition): FilterDecision {
    const last = this.last
    if (last) {
      if (this.options.minIntervalS > 0) {
        const dtS = (Date.parse(position.sampleTime) - Date.parse(last.sampleTime)) / 1000
        if (dtS < this.options.minIntervalS) return { keep: false, reason: 'interval' }
      }
      if (this.options.distanceFilterM > 0 && distanceM(last, position) < this.options.distanceFilterM) {
        return { keep: false, reason: 'distance' }
      }
    }
    this.last = position
    return { keep: true, previous: last }
  }

  /** Undoes a kept decision whose record then failed to commit. */
  revert(position: VehiclePosition, previous: VehiclePosition | undefined): void {
    if (this.last === position) this.last = previous
  }
}
