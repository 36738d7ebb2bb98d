import { isAbsolute, resolve } from 'node:path'
import { S3Client } from '@aws-sdk/client-s3'
import type { DispatchConfig } from '@edgetwin/shared-schemas'
import { DispatchError } from '../errors.js'
import { createLocalObjectStore, type ObjectStore } from './object-store.js'
import { createS3ObjectStore } from './s3-object-store.js'

/** The object store the config names: a local folder (default) or an S3 bucket (credentials from the SDK's default chain). */
export function objectStoreFromConfig(config: DispatchConfig): ObjectStore {
  const o = config.objectStore
  if (o.adapter === 'local') {
    return createLocalObjectStore(isAbsolute(o.localDir) ? o.localDir : resolve(config.dataDir, o.localDir))
  }
  if (!o.bucket) throw new DispatchError('DISPATCH_CONFIG_INVALID', 'objectStore.adapter is s3 but objectStore.bucket is not set')
  const client = new S3Client({
    ...(o.region ? { region: o.region } : {}),
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    forcePathStyle: o.forcePathStyle,
  })
  return createS3ObjectStore(client, o.bucket)
}
