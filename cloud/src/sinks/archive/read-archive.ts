import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { gunzipSync } from 'node:zlib'

export interface ArchiveObject {
  /** Object key relative to the root, `/`-separated, as the S3 key would be. */
  readonly key: string
  readonly records: unknown[]
}

/** Reads every delivered `.gz` object under `<root>/<prefix>`, sorted by key (skips the spool). */
export function readArchiveObjects(root: string, prefix = ''): ArchiveObject[] {
  const out: ArchiveObject[] = []
  const walk = (dir: string): void => {
    let entries: import('node:fs').Dirent[]
    try {
      entries = readdirSync(dir, { withFileTypes: true })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
      throw err
    }
    for (const e of entries) {
      const p = join(dir, e.name)
      if (e.isDirectory()) {
        if (e.name !== '.spool') walk(p)
      } else if (e.name.endsWith('.gz')) {
        const text = gunzipSync(readFileSync(p)).toString('utf8')
        const records = text
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => JSON.parse(l) as unknown)
        out.push({ key: relative(root, p).split(sep).join('/'), records })
      }
    }
  }
  walk(prefix ? join(root, prefix) : root)
  return out.sort((a, b) => a.key.localeCompare(b.key))
}
