import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { validators } from '@edgetwin/shared-schemas'
import { enrichedValidator } from '../fleet/enrichment.js'
import type { ObjectStore } from '../fleet/object-store.js'
import type { EnrichedRow, PositionRow } from './reports.js'

/** What a read skipped, so a report can say how much it could not use instead of hiding it. */
export interface ReadStats {
  files: number
  rows: number
  skipped: number
}

async function* gzFiles(dir: string): AsyncGenerator<string> {
  let entries: import('node:fs').Dirent[]
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : 1))
  for (const e of entries) {
    const path = join(dir, e.name)
    if (e.isDirectory()) yield* gzFiles(path)
    else if (e.name.endsWith('.gz')) yield path
  }
}

/** A line of the archive: the raw EventBridge event (with DeviceId lifted for partitioning) or a transformed event. */
function archiveLineToRow(value: unknown): PositionRow | null {
  if (value !== null && typeof value === 'object' && 'detail' in value) {
    const { DeviceId: _partitionKey, ...event } = value as Record<string, unknown>
    if (!validators.LocationDevicePositionEvent.check(event)) return null
    const d = event.detail
    return { deviceId: d.DeviceId, sampleTime: d.SampleTime, lon: d.Position[0], lat: d.Position[1] }
  }
  if (validators.TransformedPositionEvent.check(value)) {
    return { deviceId: value.DeviceId, sampleTime: value.SampleTime, lon: value.Position[0], lat: value.Position[1] }
  }
  return null
}

/**
 * Reads every position event in the local archive (`<root>/<prefix>/<DeviceId>/yyyy/MM/dd/*.gz`, GZIP NDJSON).
 * Folders are arrival dates, not sample dates, so nothing is pruned by folder: the report filters by sample time.
 */
export async function* readArchivePositions(root: string, prefix: string, stats?: ReadStats): AsyncGenerator<PositionRow> {
  for await (const file of gzFiles(join(root, prefix))) {
    if (stats) stats.files++
    const text = gunzipSync(await readFile(file)).toString('utf8')
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue
      let row: PositionRow | null = null
      try {
        row = archiveLineToRow(JSON.parse(line))
      } catch {
        row = null
      }
      if (row) {
        if (stats) stats.rows++
        yield row
      } else if (stats) stats.skipped++
    }
  }
}

/** Reads every enriched object under `<prefix>/` of an object store (local folder or S3). */
export async function* readEnrichedPositions(store: ObjectStore, prefix: string, stats?: ReadStats): AsyncGenerator<EnrichedRow> {
  for await (const key of store.list(`${prefix.replace(/\/+$/, '')}/`)) {
    if (!key.endsWith('.json')) continue
    if (stats) stats.files++
    const body = await store.get(key)
    let value: unknown
    try {
      value = body ? JSON.parse(body.toString('utf8')) : undefined
    } catch {
      value = undefined
    }
    if (!enrichedValidator.check(value)) {
      if (stats) stats.skipped++
      continue
    }
    if (stats) stats.rows++
    yield {
      deviceId: value.DeviceId,
      sampleTime: value.SampleTime,
      lon: value.Position[0],
      lat: value.Position[1],
      meetsEmissionStandards: value.MeetsEmissionStandards,
      mileage: value.Mileage,
      purchaseDate: value.PurchaseDate,
    }
  }
}

/** Drains an async iterable (reports are pure functions over iterables). */
export async function collect<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const r of rows) out.push(r)
  return out
}
