import { FleetError } from '../../fleet/errors.js'
import type { LonLat, PolygonRings, Zone } from '../zone.js'

// Shortest text that round-trips the double exactly (ECMAScript Number::toString), so the WKT is the same polygon.
const pos = ([lon, lat]: LonLat) => `${lon} ${lat}`
const ring = (r: readonly LonLat[]) => `(${r.map(pos).join(', ')})`
const polygon = (p: PolygonRings) => `(${p.map(ring).join(', ')})`

/**
 * OGC Simple Features WKT of a zone: `POLYGON ((lon lat, ...), (hole ...))` for one polygon,
 * `MULTIPOLYGON (((...)), ((...)))` for several. Axis order x = longitude, y = latitude, as `ST_Point(lon, lat)`.
 */
export function zoneToWkt(zone: Zone): string {
  if (zone.polygons.length === 1) return `POLYGON ${polygon(zone.polygons[0]!)}`
  return `MULTIPOLYGON (${zone.polygons.map(polygon).join(', ')})`
}

/** Parses the POLYGON / MULTIPOLYGON WKT this module writes (used to prove the round trip). */
export function parseWkt(wkt: string): PolygonRings[] {
  const m = /^\s*(POLYGON|MULTIPOLYGON)\s*(\(.*\))\s*$/is.exec(wkt)
  if (!m) throw new FleetError('CLOUD_ZONE_INVALID', `not a POLYGON or MULTIPOLYGON WKT: '${wkt.slice(0, 40)}'`)
  // Turn the nested parentheses into JSON arrays: "(1 2, 3 4)" → "[[1,2],[3,4]]".
  const json = m[2]!
    .replace(/\(/g, '[')
    .replace(/\)/g, ']')
    .replace(/(-?[\d.eE+-]+)\s+(-?[\d.eE+-]+)/g, '[$1,$2]')
  let nested: unknown
  try {
    nested = JSON.parse(json)
  } catch (err) {
    throw new FleetError('CLOUD_ZONE_INVALID', `malformed WKT: ${(err as Error).message}`, { cause: err })
  }
  return (m[1]!.toUpperCase() === 'POLYGON' ? [nested] : nested) as PolygonRings[]
}

/** The Athena (Trino) geometry constructor for a zone: `ST_Polygon` takes one polygon only. */
export function athenaGeometry(zone: Zone): string {
  const wkt = zoneToWkt(zone).replace(/'/g, "''")
  return zone.polygons.length === 1 ? `ST_Polygon('${wkt}')` : `ST_GeometryFromText('${wkt}')`
}
