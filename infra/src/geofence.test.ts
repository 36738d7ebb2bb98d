import { describe, expect, it } from 'vitest'
import { InfraError } from './errors.js'
import { type Ring, zoneToGeofences } from './geofence.js'
import { ulezZone } from './test-support.js'

const area2 = (r: Ring) =>
  r.slice(0, -1).reduce((s, [x1, y1], i) => s + x1 * (r[i + 1] as [number, number])[1] - (r[i + 1] as [number, number])[0] * y1, 0)
const square = (x: number, y: number, size: number, ccw: boolean): Ring => {
  const r: Ring = [
    [x, y],
    [x + size, y],
    [x + size, y + size],
    [x, y + size],
    [x, y],
  ]
  return ccw ? r : [...r].reverse()
}

describe('zoneToGeofences', () => {
  it('turns the ULEZ polygon into one counter-clockwise geofence within the vertex quota', () => {
    const [fence, ...rest] = zoneToGeofences(ulezZone(), 'ulez-2021')
    expect(rest).toHaveLength(0)
    expect(fence?.geofenceId).toBe('ulez-2021')
    expect(fence?.polygon).toHaveLength(1)
    expect(fence?.polygon[0]).toHaveLength(338)
    expect(area2(fence?.polygon[0] as Ring)).toBeGreaterThan(0)
  })

  it('orients the exterior counter-clockwise and holes clockwise, whatever the input order', () => {
    const [fence] = zoneToGeofences({ type: 'Polygon', coordinates: [square(0, 0, 10, false), square(2, 2, 2, true)] }, 'z')
    expect(area2(fence?.polygon[0] as Ring)).toBeGreaterThan(0)
    expect(area2(fence?.polygon[1] as Ring)).toBeLessThan(0)
  })

  it('makes one geofence per polygon of a MultiPolygon', () => {
    const multi = { type: 'MultiPolygon', coordinates: [[square(0, 0, 1, true)], [square(5, 5, 1, true)]] }
    expect(zoneToGeofences({ type: 'Feature', geometry: multi }, 'z').map((f) => f.geofenceId)).toEqual(['z-1', 'z-2'])
  })

  it.each([
    [{ type: 'Point', coordinates: [0, 0] }, /received type "Point"/],
    [
      {
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [1, 0],
            [1, 1],
            [0, 1],
          ],
        ],
      },
      /must be closed/,
    ],
    [
      {
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [1, 0],
            [0, 0],
          ],
        ],
      },
      /at least 4 positions; received 3/,
    ],
    [
      {
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [200, 0],
            [1, 1],
            [0, 0],
          ],
        ],
      },
      /position 1 must be \[lon, lat\]/,
    ],
  ])('rejects %j', (zone, message) => {
    expect(() => zoneToGeofences(zone, 'z')).toThrow(message)
  })

  it('refuses a polygon over the 1,000-vertex quota, naming the count', () => {
    const ring: Ring = Array.from({ length: 1001 }, (_, i) => [Math.cos((2 * Math.PI * i) / 1000), Math.sin((2 * Math.PI * i) / 1000)])
    ring[1000] = ring[0] as [number, number]
    const attempt = () => zoneToGeofences({ type: 'Polygon', coordinates: [ring] }, 'z')
    expect(attempt).toThrow(InfraError)
    expect(attempt).toThrow(/1001 vertices; Amazon Location allows at most 1000/)
  })
})
