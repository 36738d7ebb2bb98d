/** Mean Earth radius (IUGG), metres; the same sphere the agent's distance filter uses. */
const EARTH_RADIUS_M = 6_371_008.8
const RAD = Math.PI / 180

export type LonLat = readonly [number, number]

/** Great-circle distance in metres (haversine). */
export function distanceM(a: LonLat, b: LonLat): number {
  const dLat = (b[1] - a[1]) * RAD
  const dLon = (b[0] - a[0]) * RAD
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * RAD) * Math.cos(b[1] * RAD) * Math.sin(dLon / 2) ** 2
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)))
}

/** Initial bearing from a to b, degrees clockwise from north, [0, 360). */
export function bearingDeg(a: LonLat, b: LonLat): number {
  const y = Math.sin((b[0] - a[0]) * RAD) * Math.cos(b[1] * RAD)
  const x = Math.cos(a[1] * RAD) * Math.sin(b[1] * RAD) - Math.sin(a[1] * RAD) * Math.cos(b[1] * RAD) * Math.cos((b[0] - a[0]) * RAD)
  return (((Math.atan2(y, x) / RAD) % 360) + 360) % 360
}

/** The point `distance` metres from `from` on `bearingDeg`. */
export function destination(from: LonLat, bearing: number, distance: number): LonLat {
  const d = distance / EARTH_RADIUS_M
  const b = bearing * RAD
  const lat1 = from[1] * RAD
  const lon1 = from[0] * RAD
  const lat2 = Math.asin(Math.sin(lat1) * Math.cos(d) + Math.cos(lat1) * Math.sin(d) * Math.cos(b))
  const lon2 = lon1 + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(lat1), Math.cos(d) - Math.sin(lat1) * Math.sin(lat2))
  return [lon2 / RAD, lat2 / RAD]
}

/** Linear interpolation between two nearby points (legs are a few km; the error is far below GPS accuracy). */
export function lerp(a: LonLat, b: LonLat, f: number): LonLat {
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f]
}
