import { FleetError } from './errors.js'

/** A bucket of objects by key (local: a folder; AWS: an S3 bucket). */
export interface ObjectStore {
  put(key: string, body: string | Uint8Array, contentType?: string): Promise<void>
  /** The object's bytes, or null when there is none. */
  get(key: string): Promise<Buffer | null>
  /** Every key under `prefix`, in lexicographic (S3 ListObjectsV2) order. */
  list(prefix: string): AsyncIterable<string>
  close(): Promise<void>
}

/**
 * S3 keys are arbitrary UTF-8 up to 1,024 bytes; we accept the subset that is also a safe relative path,
 * so the local folder adapter and S3 hold the same keys.
 */
export function assertObjectKey(key: string): void {
  const bad =
    key.length === 0 ||
    Buffer.byteLength(key) > 1024 ||
    key.startsWith('/') ||
    key.endsWith('/') ||
    key.includes('\\') ||
    key.includes('\0') ||
    key.split('/').some((part) => part === '' || part === '.' || part === '..')
  if (bad)
    throw new FleetError(
      'CLOUD_OBJECT_KEY_INVALID',
      `object key '${key.slice(0, 120)}' must be a relative path without empty, '.' or '..' segments`,
    )
}

/** Where the enrichment handler writes an event: `<prefix>/<DeviceId>/<SampleTime>-<uuid>.json`. */
export function enrichedObjectKey(prefix: string, deviceId: string, sampleTime: string, uuid: string): string {
  const key = `${prefix.replace(/\/+$/, '')}/${deviceId}/${sampleTime}-${uuid}.json`
  assertObjectKey(key)
  return key
}
