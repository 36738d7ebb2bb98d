import { readFileSync } from 'node:fs'
import { createValidator, type SchemaError, ZoneGeoJson } from '@edgetwin/shared-schemas'
import { booleanPointInPolygon } from '@turf/boolean-point-in-polygon'
import type { MultiPolygon } from 'geojson'
import { FleetError } from '../fleet/errors.js'

const zoneValidator = createValidator(ZoneGeoJson)

/** [lon, lat] */
export type LonLat = readonly [number, number]
/** One polygon: an outer ring, then its holes; each ring closed (first position equals last). */
export type PolygonRings = readonly (readonly LonLat[])[]

/** A charging zone as a MultiPolygon (a Polygon is a MultiPolygon of one), with its bounding box. */
export interface Zone {
  readonly id: string
  readonly polygons: readonly PolygonRings[]
  /** [minLon, minLat, maxLon, maxLat] */
  readonly bbox: readonly [number, number, number, number]
  /**
   * True when the point lies in the zone's interior. A point exactly on the boundary is outside, as
   * Athena's `ST_Within` decides (a geometry is within another only if it meets the other's interior and
   * not its exterior), and as TfL draws the ULEZ: the boundary roads themselves are not charged.
   */
  contains(lon: number, lat: number): boolean
}

function closeRing(ring: readonly (readonly number[])[], where: string): LonLat[] {
  const out = ring.map((p, i): LonLat => {
    const [lon, lat] = p as [number, number]
    if (lon < -180 || lon > 180 || lat < -90 || lat > 90) {
      throw new FleetError('CLOUD_ZONE_INVALID', `${where} position ${i} [${lon}, ${lat}] is not a WGS84 lon/lat`)
    }
    return [lon, lat]
  })
  const first = out[0]!
  const last = out[out.length - 1]!
  // RFC 7946 §3.1.6: "The first and last positions are equivalent".
  if (first[0] !== last[0] || first[1] !== last[1]) {
    throw new FleetError('CLOUD_ZONE_INVALID', `${where} is not closed: first [${first}] differs from last [${last}]`)
  }
  return out
}

/** Builds a zone from parsed GeoJSON; throws FleetError CLOUD_ZONE_INVALID naming what is wrong. */
export function zoneFromGeoJson(input: unknown, id = 'zone'): Zone {
  let doc: ZoneGeoJson
  try {
    doc = zoneValidator.parse(input)
  } catch (err) {
    throw new FleetError('CLOUD_ZONE_INVALID', `zone '${id}': ${(err as SchemaError).message}`, { cause: err })
  }
  const geometries =
    doc.type === 'FeatureCollection' ? doc.features.map((f) => f.geometry) : doc.type === 'Feature' ? [doc.geometry] : [doc]
  const polygons: PolygonRings[] = []
  for (const g of geometries) {
    const list = g.type === 'Polygon' ? [g.coordinates] : g.coordinates
    for (const rings of list) {
      const n = polygons.length
      polygons.push(rings.map((r, i) => closeRing(r, `zone '${id}' polygon ${n} ring ${i}`)))
    }
  }
  let [minLon, minLat, maxLon, maxLat] = [180, 90, -180, -90]
  for (const p of polygons) {
    for (const [lon, lat] of p[0]!) {
      minLon = Math.min(minLon, lon)
      maxLon = Math.max(maxLon, lon)
      minLat = Math.min(minLat, lat)
      maxLat = Math.max(maxLat, lat)
    }
  }
  const geometry: MultiPolygon = { type: 'MultiPolygon', coordinates: polygons as unknown as MultiPolygon['coordinates'] }
  return Object.freeze({
    id,
    polygons,
    bbox: [minLon, minLat, maxLon, maxLat] as const,
    contains(lon: number, lat: number): boolean {
      if (lon < minLon || lon > maxLon || lat < minLat || lat > maxLat) return false
      return booleanPointInPolygon([lon, lat], geometry, { ignoreBoundary: true })
    },
  })
}

/** Reads a GeoJSON zone file. */
export function loadZoneFile(path: string, id?: string): Zone {
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new FleetError('CLOUD_ZONE_INVALID', `cannot read zone file ${path}: ${(err as Error).message}`, { cause: err })
  }
  return zoneFromGeoJson(parsed, id ?? path.replace(/^.*\//, '').replace(/\.(geo)?json$/, ''))
}

export const DEFAULT_ZONE_ID = 'ulez-2021-expansion'

/** The built-in zone: the 2021 ULEZ expansion (see zones/LICENCE.md). */
export function defaultZone(): Zone {
  // The GeoJSON sits beside the sources; a build reads it from src/ since tsc copies only imported .json files.
  const here = new URL(`./zones/${DEFAULT_ZONE_ID}.geojson`, import.meta.url)
  const fromDist = new URL(`../../src/analytics/zones/${DEFAULT_ZONE_ID}.geojson`, import.meta.url)
  for (const url of [here, fromDist]) {
    try {
      return zoneFromGeoJson(JSON.parse(readFileSync(url, 'utf8')), DEFAULT_ZONE_ID)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
  }
  throw new FleetError('CLOUD_ZONE_INVALID', `built-in zone ${DEFAULT_ZONE_ID}.geojson not found beside ${import.meta.url}`)
}
