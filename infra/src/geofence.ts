import { InfraError } from './errors.js'

/** A linear ring as Amazon Location takes it: `[lon, lat]` pairs, closed (first = last). */
export type Ring = Array<[number, number]>

export interface GeofenceSpec {
  readonly geofenceId: string
  /** Exterior ring first, counter-clockwise; then holes, clockwise (Amazon Location, "Geofence geometry"). */
  readonly polygon: Ring[]
}

/** Amazon Location accepts at most 1,000 vertices per polygon geofence (service quotas, PutGeofence). */
export const MAX_GEOFENCE_VERTICES = 1000

type Geometry = { type: 'Polygon'; coordinates: unknown } | { type: 'MultiPolygon'; coordinates: unknown }

function fail(message: string): never {
  throw new InfraError('INFRA_ZONE_INVALID', message)
}

function geometries(doc: unknown): Geometry[] {
  const d = doc as { type?: unknown; geometry?: unknown; features?: unknown }
  if (d?.type === 'FeatureCollection' && Array.isArray(d.features)) return d.features.flatMap(geometries)
  if (d?.type === 'Feature') return geometries(d.geometry)
  if (d?.type === 'Polygon' || d?.type === 'MultiPolygon') return [d as Geometry]
  return fail(`zone: expected a GeoJSON Polygon, MultiPolygon, Feature or FeatureCollection; received type ${JSON.stringify(d?.type)}`)
}

/** Twice the signed area (shoelace); positive for a counter-clockwise ring in lon/lat. */
function signedArea2(ring: Ring): number {
  let sum = 0
  for (let i = 0; i + 1 < ring.length; i++) {
    const [x1, y1] = ring[i] as [number, number]
    const [x2, y2] = ring[i + 1] as [number, number]
    sum += x1 * y2 - x2 * y1
  }
  return sum
}

function toRing(raw: unknown, where: string): Ring {
  if (!Array.isArray(raw) || raw.length < 4)
    fail(`zone: ${where} must have at least 4 positions; received ${Array.isArray(raw) ? raw.length : typeof raw}`)
  const ring = raw.map((p, i): [number, number] => {
    const [lon, lat] = Array.isArray(p) ? (p as unknown[]) : []
    if (typeof lon !== 'number' || typeof lat !== 'number' || Math.abs(lon) > 180 || Math.abs(lat) > 90) {
      fail(`zone: ${where} position ${i} must be [lon, lat] in WGS84 degrees; received ${JSON.stringify(p)}`)
    }
    return [lon, lat]
  })
  const first = ring[0] as [number, number]
  const last = ring[ring.length - 1] as [number, number]
  if (first[0] !== last[0] || first[1] !== last[1]) fail(`zone: ${where} must be closed (first position = last position)`)
  return ring
}

function oriented(ring: Ring, counterClockwise: boolean): Ring {
  return signedArea2(ring) > 0 === counterClockwise ? ring : [...ring].reverse()
}

/**
 * Turns a GeoJSON zone into Amazon Location polygon geofences, one per polygon: rings are oriented as the
 * service requires (RFC 7946's right-hand rule) and the vertex quota is checked here rather than at deploy time.
 */
export function zoneToGeofences(zone: unknown, idPrefix: string): GeofenceSpec[] {
  const polygons = geometries(zone).flatMap((g) => (g.type === 'Polygon' ? [g.coordinates] : (g.coordinates as unknown[])))
  if (polygons.length === 0) fail('zone: contains no polygon')
  return polygons.map((rings, index) => {
    const id = polygons.length === 1 ? idPrefix : `${idPrefix}-${index + 1}`
    if (!Array.isArray(rings) || rings.length === 0) fail(`zone: polygon ${index} has no rings`)
    const polygon = rings.map((r, i) => oriented(toRing(r, `polygon ${index} ring ${i}`), i === 0))
    const vertices = polygon.reduce((n, r) => n + r.length, 0)
    if (vertices > MAX_GEOFENCE_VERTICES) {
      fail(`zone: polygon ${index} has ${vertices} vertices; Amazon Location allows at most ${MAX_GEOFENCE_VERTICES} per geofence`)
    }
    return { geofenceId: id, polygon }
  })
}
