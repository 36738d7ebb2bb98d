import { copyFile, mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { resolveInside } from '../paths.js'

/** Where finished results are copied (`POST /upload_to_s3`): Amazon S3, or a local folder by default. */
export interface ObjectStore {
  /** `s3://bucket` or the local folder, for the answer. */
  readonly location: string
  /** Stores the file at `path` under `key` (`/`-separated, server-built from safe segments). */
  putFile(key: string, path: string): Promise<void>
}

/** The embedded default: keys become paths under `rootDir`, each proven to stay inside it. */
export function createLocalObjectStore(rootDir: string): ObjectStore {
  return {
    location: rootDir,
    async putFile(key, path) {
      const target = resolveInside(rootDir, key)
      await mkdir(dirname(target), { recursive: true })
      await copyFile(path, target)
    },
  }
}
