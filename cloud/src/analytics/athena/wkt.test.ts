import { describe, expect, it } from 'vitest'
import { defaultZone, zoneFromGeoJson } from '../zone.js'
import { athenaNamedQueries } from './named-queries.js'
import { parseWkt, zoneToWkt } from './wkt.js'

describe('GeoJSON → WKT', () => {
  it('describes the same ULEZ polygon: every vertex round-trips exactly and points classify alike', () => {
    const ulez = defaultZone()
    const wkt = zoneToWkt(ulez)
    expect(wkt.startsWith('POLYGON ((-0.0173701532 51.6011227905, ')).toBe(true)
    const parsed = parseWkt(wkt)
    expect(parsed).toEqual(ulez.polygons)
    const back = zoneFromGeoJson({ type: 'MultiPolygon', coordinates: parsed })
    const [minLon, minLat, maxLon, maxLat] = ulez.bbox
    let seed = 7
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed / 2 ** 31
    }
    let inside = 0
    for (let i = 0; i < 2000; i++) {
      const lon = minLon + rnd() * (maxLon - minLon)
      const lat = minLat + rnd() * (maxLat - minLat)
      expect(back.contains(lon, lat)).toBe(ulez.contains(lon, lat))
      if (ulez.contains(lon, lat)) inside++
    }
    expect(inside).toBeGreaterThan(500)
  })

  it('writes holes as inner rings and several polygons as a MULTIPOLYGON', () => {
    const ring = (x: number) => [
      [x, 0],
      [x + 1, 0],
      [x + 1, 1],
      [x, 1],
      [x, 0],
    ]
    const zone = zoneFromGeoJson({
      type: 'MultiPolygon',
      coordinates: [[ring(0), ring(0.25).map(([x, y]) => [x! / 2 + 0.1, y! / 2 + 0.1])], [ring(5)]],
    })
    const wkt = zoneToWkt(zone)
    expect(wkt).toMatch(/^MULTIPOLYGON \(\(\(0 0, 1 0, 1 1, 0 1, 0 0\), \(/)
    expect(parseWkt(wkt)).toEqual(zone.polygons)
  })
})

describe('Athena named queries', () => {
  it('generates the views and both day conventions with the polygon, the range and the fee as execution parameters', () => {
    const queries = athenaNamedQueries(defaultZone())
    expect(queries.map((q) => q.name)).toEqual([
      'ulez_2021_expansion-archive-view',
      'ulez_2021_expansion-enriched-view',
      'ulez_2021_expansion-days-in-zone-utc',
      'ulez_2021_expansion-days-in-zone-charging-day',
      'ulez_2021_expansion-replacement-utc',
      'ulez_2021_expansion-replacement-charging-day',
    ])
    expect(queries[0]!.queryString).toContain("ST_Within(ST_Point(detail.position[1], detail.position[2]), ST_Polygon('POLYGON ((")
    // Three parameters (from, to, fee) for days in zone, two (from, to) for replacement; no clock in the SQL.
    expect(queries.map((q) => q.queryString.split('?').length - 1)).toEqual([0, 0, 3, 3, 2, 2])
    for (const q of queries) expect(q.queryString).not.toMatch(/current_date|now\(\)|365\.25/i)
    expect(queries[2]!.queryString).toContain("DATE(sampletime AT TIME ZONE 'UTC')")
    expect(queries[3]!.queryString).toContain("DATE(sampletime AT TIME ZONE 'Europe/London')")
    expect(queries[4]!.queryString).toContain('WHERE e.meetsemissionstandards = false')
    expect(queries[4]!.queryString).toContain('GROUP BY i.deviceid\n')
    for (const q of queries) expect(q.name.length).toBeLessThanOrEqual(128)
  })

  it('refuses a table name that would need quoting', () => {
    expect(() => athenaNamedQueries(defaultZone(), { archiveTable: 'x"; DROP' })).toThrow(/archive table/)
  })
})
