import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import type { ObjectStore } from './object-store.js'

const CONTENT_TYPES: Record<string, string> = { '.json': 'application/json', '.out': 'text/plain; charset=utf-8', '.log': 'text/plain' }

/** Amazon S3 adapter: one PutObject per file, streamed with its length (S3 needs Content-Length for a stream). */
export function createS3ObjectStore(client: S3Client, bucket: string): ObjectStore {
  return {
    location: `s3://${bucket}`,
    async putFile(key, path) {
      const { size } = await stat(path)
      const ext = key.slice(key.lastIndexOf('.'))
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: createReadStream(path),
          ContentLength: size,
          ContentType: CONTENT_TYPES[ext] ?? 'application/octet-stream',
        }),
      )
    },
  }
}
