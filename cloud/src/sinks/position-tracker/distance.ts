/** Mean Earth radius (IUGG), metres. */
const EARTH_RADIUS_M = 6_371_008.8
const RAD = Math.PI / 180

/** Great-circle distance between two `[lon, lat]` points (haversine), metres. */
export function haversineDistanceM(a: readonly [number, number], b: readonly [number, number]): number {
  const dLat = (b[1] - a[1]) * RAD
  const dLon = (b[0] - a[0]) * RAD
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * RAD) * Math.cos(b[1] * RAD) * Math.sin(dLon / 2) ** 2
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)))
}

/**
 * Amazon Location `PositionFiltering: DistanceBased`: "ignores location updates wherein devices have moved less
 * than 30 m (98.4 ft)" from the last stored position. The first position of a device is always stored.
 */
export function passesDistanceFilter(
  lastStored: readonly [number, number] | undefined,
  next: readonly [number, number],
  distanceFilterM: number,
): boolean {
  if (!lastStored) return true
  return haversineDistanceM(lastStored, next) >= distanceFilterM
}
