import { describe, expect, it } from 'vitest'
import { zoneFromGeoJson } from '../analytics/zone.js'
import { GeofenceDetector } from './geofence.js'

const zone = zoneFromGeoJson(
  {
    type: 'Polygon',
    coordinates: [
      [
        [0, 0],
        [1, 0],
        [1, 1],
        [0, 1],
        [0, 0],
      ],
    ],
  },
  'box',
)
const at = (s: number, inside: boolean) => ({
  deviceId: 'v1',
  sampleTime: new Date(Date.UTC(2026, 6, 1, 8) + s * 1000).toISOString(),
  lon: inside ? 0.5 : 2,
  lat: 0.5,
})

describe('geofence events', () => {
  it('emits ENTER once the vehicle has dwelt inside for the minimum, stamped with the first inside sample', () => {
    const g = new GeofenceDetector(zone, { minDwellS: 60 })
    expect(g.update(at(0, false))).toEqual([])
    expect(g.update(at(10, true))).toEqual([])
    expect(g.update(at(40, true))).toEqual([])
    const [enter] = g.update(at(70, true))
    expect(enter).toMatchObject({ EventType: 'ENTER', GeofenceId: 'box', DeviceId: 'v1', SampleTime: at(10, true).sampleTime })
    expect(g.update(at(200, false))).toEqual([])
    expect(g.update(at(260, false))[0]).toMatchObject({ EventType: 'EXIT', SampleTime: at(200, false).sampleTime })
  })

  it('does not emit for a visit shorter than the dwell', () => {
    const g = new GeofenceDetector(zone, { minDwellS: 60 })
    const events = [at(0, false), at(10, true), at(30, true), at(50, false), at(500, false)].flatMap((p) => g.update(p))
    expect(events).toEqual([])
  })

  it('ignores late and replayed positions so they cannot make it flap', () => {
    const g = new GeofenceDetector(zone, { minDwellS: 0 })
    const events = [at(0, false), at(10, true), at(5, false), at(10, false), at(20, true), at(30, false)].flatMap((p) => g.update(p))
    expect(events.map((e) => e.EventType)).toEqual(['ENTER', 'EXIT'])
    expect(g.isInside('v1')).toBe(false)
  })
})
