import type { Zone } from '../analytics/zone.js'

export type GeofenceTransition = 'ENTER' | 'EXIT'

/** An ENTER or EXIT, in the field names of Amazon Location's "Location Geofence Event" detail. */
export interface GeofenceEvent {
  readonly EventType: GeofenceTransition
  readonly GeofenceId: string
  readonly DeviceId: string
  /** Sample time of the first position on the new side of the boundary. */
  readonly SampleTime: string
  readonly Position: readonly [number, number]
}

export interface GeofencePosition {
  readonly deviceId: string
  readonly sampleTime: string
  readonly lon: number
  readonly lat: number
}

export interface GeofenceOptions {
  /** The vehicle must stay on the new side this long (sample time) before the transition is emitted. */
  readonly minDwellS: number
}

interface DeviceState {
  inside: boolean | null
  lastSampleMs: number
  /** The first position seen on the other side, while it has not yet dwelt long enough. */
  pending: { inside: boolean; sinceMs: number; sampleTime: string; position: readonly [number, number] } | null
}

/**
 * ENTER/EXIT detection per vehicle for one zone: a pure state machine over positions. Positions are taken in
 * sample-time order per vehicle; one older than or equal to the newest already seen (late delivery, a replay)
 * is ignored, so it cannot make the state flap. A crossing counts only once the vehicle has stayed on the new
 * side for `minDwellS` of sample time; a return before that cancels it. The first position of a vehicle sets
 * its state without an event (there was no crossing to see).
 */
export class GeofenceDetector {
  readonly #zone: Zone
  readonly #minDwellMs: number
  readonly #devices = new Map<string, DeviceState>()

  constructor(zone: Zone, options: GeofenceOptions) {
    this.#zone = zone
    this.#minDwellMs = options.minDwellS * 1000
  }

  /** Feeds one position; returns the transitions it confirms (zero or one). */
  update(p: GeofencePosition): GeofenceEvent[] {
    const t = Date.parse(p.sampleTime)
    let s = this.#devices.get(p.deviceId)
    if (!s) {
      s = { inside: null, lastSampleMs: Number.NEGATIVE_INFINITY, pending: null }
      this.#devices.set(p.deviceId, s)
    }
    if (!(t > s.lastSampleMs)) return []
    s.lastSampleMs = t
    const inside = this.#zone.contains(p.lon, p.lat)
    if (s.inside === null) {
      s.inside = inside
      return []
    }
    if (inside === s.inside) {
      s.pending = null
      return []
    }
    s.pending ??= { inside, sinceMs: t, sampleTime: p.sampleTime, position: [p.lon, p.lat] }
    if (t - s.pending.sinceMs < this.#minDwellMs) return []
    const { sampleTime, position } = s.pending
    s.inside = inside
    s.pending = null
    return [
      { EventType: inside ? 'ENTER' : 'EXIT', GeofenceId: this.#zone.id, DeviceId: p.deviceId, SampleTime: sampleTime, Position: position },
    ]
  }

  /** Whether the vehicle is (confirmed) inside; null before its first position. */
  isInside(deviceId: string): boolean | null {
    return this.#devices.get(deviceId)?.inside ?? null
  }
}
