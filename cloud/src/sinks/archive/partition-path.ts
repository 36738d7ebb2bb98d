const pad = (n: number, width = 2) => String(n).padStart(width, '0')

/**
 * Firehose object key under dynamic partitioning with the prefix
 * `<prefix>/!{partitionKeyFromQuery:DeviceId}/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/` and Firehose's
 * default file name `<stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<random>` (plus `.gz` for GZIP). The timestamp is the
 * approximate arrival time of the oldest record in the buffer, UTC.
 */
export function archiveObjectKey(prefix: string, deviceId: string, arrival: Date, streamName: string, unique: string): string {
  const y = arrival.getUTCFullYear()
  const mo = pad(arrival.getUTCMonth() + 1)
  const d = pad(arrival.getUTCDate())
  const stamp = `${y}-${mo}-${d}-${pad(arrival.getUTCHours())}-${pad(arrival.getUTCMinutes())}-${pad(arrival.getUTCSeconds())}`
  const parts = [prefix, deviceId, String(y), mo, d, `${streamName}-1-${stamp}-${unique}.gz`].filter((p) => p !== '')
  return parts.join('/')
}
