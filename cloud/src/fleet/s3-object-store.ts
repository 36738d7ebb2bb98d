import {
  GetObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3'
import { FleetError } from './errors.js'
import { assertObjectKey, type ObjectStore } from './object-store.js'

export interface S3ObjectStoreOptions {
  readonly bucket: string
  /** Passed to the SDK client (region, endpoint, forcePathStyle, credentials). */
  readonly client?: S3ClientConfig
}

/** The AWS adapter: `PutObject`, `GetObject`, and `ListObjectsV2` followed through its continuation tokens. */
export function createS3ObjectStore(options: S3ObjectStoreOptions): ObjectStore {
  const client = new S3Client(options.client ?? {})
  const Bucket = options.bucket
  const fail = (op: string, key: string, err: unknown) =>
    new FleetError('CLOUD_OBJECT_STORE_FAILED', `S3 ${op} s3://${Bucket}/${key} failed: ${(err as Error).message}`, { cause: err })
  return {
    async put(key, body, contentType = 'application/json') {
      assertObjectKey(key)
      try {
        await client.send(
          new PutObjectCommand({ Bucket, Key: key, Body: typeof body === 'string' ? Buffer.from(body) : body, ContentType: contentType }),
        )
      } catch (err) {
        throw fail('PutObject', key, err)
      }
    },
    async get(key) {
      assertObjectKey(key)
      try {
        const out = await client.send(new GetObjectCommand({ Bucket, Key: key }))
        return Buffer.from(await out.Body!.transformToByteArray())
      } catch (err) {
        if (err instanceof NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') return null
        throw fail('GetObject', key, err)
      }
    },
    async *list(prefix) {
      let ContinuationToken: string | undefined
      do {
        let page: ListObjectsV2CommandOutput
        try {
          page = await client.send(new ListObjectsV2Command({ Bucket, Prefix: prefix, ContinuationToken }))
        } catch (err) {
          throw fail('ListObjectsV2', prefix, err)
        }
        for (const o of page.Contents ?? []) if (o.Key) yield o.Key
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined
      } while (ContinuationToken)
    },
    async close() {
      client.destroy()
    },
  }
}
