import { randomUUID } from 'node:crypto'
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { FleetError } from './errors.js'
import { assertObjectKey, type ObjectStore } from './object-store.js'

/** The embedded default's object store: one file per key under `root`, written atomically (temp file + rename). */
export function createLocalObjectStore(root: string): ObjectStore {
  async function* walk(dir: string, keyPrefix: string): AsyncGenerator<string> {
    let entries: import('node:fs').Dirent[]
    try {
      entries = await readdir(dir, { withFileTypes: true })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
      throw err
    }
    // Byte order of names, so keys come out in the same order S3's ListObjectsV2 returns them.
    entries.sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)))
    for (const e of entries) {
      if (e.name.startsWith('.tmp-')) continue
      const key = keyPrefix ? `${keyPrefix}/${e.name}` : e.name
      if (e.isDirectory()) yield* walk(join(dir, e.name), key)
      else yield key
    }
  }
  return {
    async put(key, body) {
      assertObjectKey(key)
      const file = join(root, key)
      try {
        await mkdir(dirname(file), { recursive: true })
        const tmp = join(dirname(file), `.tmp-${randomUUID()}`)
        await writeFile(tmp, body)
        await rename(tmp, file)
      } catch (err) {
        throw new FleetError('CLOUD_OBJECT_STORE_FAILED', `cannot write ${file}: ${(err as Error).message}`, { cause: err })
      }
    },
    async get(key) {
      assertObjectKey(key)
      try {
        return await readFile(join(root, key))
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
        throw new FleetError('CLOUD_OBJECT_STORE_FAILED', `cannot read ${key}: ${(err as Error).message}`, { cause: err })
      }
    },
    async *list(prefix) {
      // Walk only the deepest folder the prefix names, then filter by the rest of it.
      const slash = prefix.lastIndexOf('/')
      const dirKey = slash >= 0 ? prefix.slice(0, slash) : ''
      for await (const key of walk(dirKey ? join(root, dirKey) : root, dirKey)) {
        if (key.startsWith(prefix)) yield key
      }
    },
    async close() {},
  }
}
