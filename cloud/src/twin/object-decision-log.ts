import { CloudError } from '../errors.js'
import type { ObjectStore } from '../fleet/object-store.js'
import type { DecisionLog, DecisionLogListOptions, DecisionRecord } from './decision-log.js'

/** GetObject calls in flight while reading a listing back. */
const READ_CONCURRENCY = 8

/** `<prefix>/<deviceId>/<createdAt>-<id>.json`: ISO-8601 UTC times sort as text, so a listing is in time order. */
export function decisionObjectKey(prefix: string, record: Pick<DecisionRecord, 'deviceId' | 'createdAt' | 'id'>): string {
  return `${prefix}/${record.deviceId}/${record.createdAt}-${record.id}.json`
}

function parseRecord(key: string, body: Buffer): DecisionRecord {
  let value: unknown
  try {
    value = JSON.parse(body.toString('utf8'))
  } catch (err) {
    throw new CloudError('CLOUD_DECISION_LOG_CORRUPT', `decision object ${key} is not JSON: ${(err as Error).message}`, { cause: err })
  }
  const r = value as Partial<DecisionRecord> | null
  if (!r || typeof r.id !== 'string' || typeof r.deviceId !== 'string' || typeof r.createdAt !== 'string' || !r.decision) {
    throw new CloudError('CLOUD_DECISION_LOG_CORRUPT', `decision object ${key} lacks id, deviceId, createdAt or decision`)
  }
  return r as DecisionRecord
}

/** The file name part of a key: `<createdAt>-<id>.json`, what newest-first ordering compares. */
const fileName = (key: string) => key.slice(key.lastIndexOf('/') + 1)

/**
 * The decision log as one JSON object per decision in an object store: S3 on Lambda (`createS3ObjectStore`:
 * PutObject; ListObjectsV2 under the device's prefix, then GetObject), or a local folder. Objects are written
 * once and never rewritten, so the log is append-only like the SQLite table. Records with the same `createdAt`
 * come back in id order (the SQLite adapter keeps insertion order there).
 */
export function createObjectDecisionLog(store: ObjectStore, prefix = 'twin-decisions'): DecisionLog {
  const root = prefix.replace(/\/+$/, '')
  return {
    async append(record) {
      await store.put(decisionObjectKey(root, record), JSON.stringify(record), 'application/json')
    },
    async list(options: DecisionLogListOptions = {}) {
      const keys: string[] = []
      for await (const key of store.list(options.deviceId ? `${root}/${options.deviceId}/` : `${root}/`)) {
        if (key.endsWith('.json')) keys.push(key)
      }
      const newest = keys
        .sort((a, b) => (fileName(a) < fileName(b) ? 1 : fileName(a) > fileName(b) ? -1 : 0))
        .slice(0, options.limit ?? 100)
      const out: DecisionRecord[] = new Array(newest.length)
      let next = 0
      const worker = async () => {
        for (let i = next++; i < newest.length; i = next++) {
          const key = newest[i]!
          const body = await store.get(key)
          // Objects are never deleted by the twin; one missing between List and Get was removed by hand (or lifecycle).
          if (!body) throw new CloudError('CLOUD_DECISION_LOG_CORRUPT', `decision object ${key} was listed but is gone`)
          out[i] = parseRecord(key, body)
        }
      }
      await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, newest.length) }, worker))
      return out
    },
  }
}
