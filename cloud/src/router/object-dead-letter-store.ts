import { randomUUID } from 'node:crypto'
import type { ObjectStore } from '../fleet/object-store.js'
import type { DeadLetterStore } from './dead-letter-store.js'
import type { DeadLetter } from './decide.js'

/**
 * Dead letters as one JSON object each in an object store (S3 for the Lambda):
 * `<prefix>/<yyyy>/<MM>/<dd>/<receivedAt>-<uuid>.json`, payload base64.
 */
export function createObjectDeadLetterStore(store: ObjectStore, prefix = 'dead-letters'): DeadLetterStore {
  return {
    async put(l) {
      const day = l.receivedAt.slice(0, 10).replaceAll('-', '/')
      const key = `${prefix}/${day}/${l.receivedAt.replaceAll(':', '-')}-${randomUUID()}.json`
      const body = { ...l, payload: l.payload.toString('base64') }
      await store.put(key, JSON.stringify(body), 'application/json')
    },
    async list(options = {}) {
      const keys: string[] = []
      for await (const k of store.list(`${prefix}/`)) keys.push(k)
      const newest = keys
        .sort()
        .reverse()
        .slice(0, options.limit ?? 100)
      const out: DeadLetter[] = []
      for (const k of newest) {
        const buf = await store.get(k)
        if (!buf) continue
        const raw = JSON.parse(buf.toString('utf8')) as Omit<DeadLetter, 'payload'> & { payload: string }
        out.push({ ...raw, payload: Buffer.from(raw.payload, 'base64') })
      }
      return out
    },
    async close() {},
  }
}
