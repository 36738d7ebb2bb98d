import { describe, expect, it } from 'vitest'
import type { FleetError } from '../fleet/errors.js'
import { defaultZone, zoneFromGeoJson } from './zone.js'

// A 10×10 square with a 2×2 hole in the middle, and a second square off to the east.
const square = [
  [0, 0],
  [10, 0],
  [10, 10],
  [0, 10],
  [0, 0],
]
const hole = [
  [4, 4],
  [6, 4],
  [6, 6],
  [4, 6],
  [4, 4],
]
const east = [
  [20, 0],
  [22, 0],
  [22, 2],
  [20, 2],
  [20, 0],
]

describe('zones', () => {
  const withHole = zoneFromGeoJson({ type: 'Polygon', coordinates: [square, hole] }, 'holey')
  const multi = zoneFromGeoJson({
    type: 'Feature',
    properties: null,
    geometry: { type: 'MultiPolygon', coordinates: [[square, hole], [east]] },
  })

  it('counts a point in the interior as inside', () => {
    expect(withHole.contains(1, 1)).toBe(true)
  })

  it('counts a point on the boundary as outside, as ST_Within does', () => {
    expect(withHole.contains(0, 5)).toBe(false)
    expect(withHole.contains(10, 10)).toBe(false)
    expect(withHole.contains(5, 0)).toBe(false)
  })

  it('counts a point inside a hole as outside, and one on the hole edge as outside', () => {
    expect(withHole.contains(5, 5)).toBe(false)
    expect(withHole.contains(4, 5)).toBe(false)
    expect(withHole.contains(3.9, 5)).toBe(true)
  })

  it('tests every polygon of a MultiPolygon', () => {
    expect(multi.contains(21, 1)).toBe(true)
    expect(multi.contains(1, 1)).toBe(true)
    expect(multi.contains(5, 5)).toBe(false)
    expect(multi.contains(15, 1)).toBe(false)
    expect(multi.polygons).toHaveLength(2)
  })

  it('rejects an open ring and a non-polygon with a coded error', () => {
    const open = { type: 'Polygon', coordinates: [square.slice(0, 4).concat([[1, 1]])] }
    expect(() => zoneFromGeoJson(open)).toThrowError(expect.objectContaining({ code: 'CLOUD_ZONE_INVALID' }) as FleetError)
    expect(() => zoneFromGeoJson({ type: 'Point', coordinates: [0, 0] })).toThrowError(/CLOUD_ZONE_INVALID|zone 'zone'/)
  })

  it('loads the 2021 ULEZ expansion: central London inside, Heathrow and the boundary road outside', () => {
    const ulez = defaultZone()
    expect(ulez.polygons[0]![0]).toHaveLength(338)
    expect(ulez.contains(-0.1276, 51.5072)).toBe(true) // Trafalgar Square
    expect(ulez.contains(-0.4543, 51.47)).toBe(false) // Heathrow
    const [lon, lat] = ulez.polygons[0]![0]![10]!
    expect(ulez.contains(lon, lat)).toBe(false) // a vertex of the boundary itself
  })
})
