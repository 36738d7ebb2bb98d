import type { WindowResult } from './alarms.js'
import type { StoredResult } from './corrections.js'
import type { SiteDatabase } from './site-database.js'
import { translatePgError } from './site-database.js'
import { buildResultsDdl, buildResultsSelect, buildResultsUpsert } from './sql.js'

/** Writes window results back to the site database; idempotent (upsert on device, metric and window start). */
export class ResultsWriter {
  readonly #db: SiteDatabase
  readonly #table: string
  readonly #upsert: string
  readonly #createTable: boolean
  #ensured = false

  /** With `createTable`, the table is created before the first write (the database may be down at start). */
  constructor(db: SiteDatabase, table: string, createTable: boolean) {
    this.#db = db
    this.#table = table
    this.#upsert = buildResultsUpsert(table)
    this.#createTable = createTable
  }

  async ensureTable(): Promise<void> {
    try {
      await this.#db.query(buildResultsDdl(this.#table))
    } catch (err) {
      throw translatePgError(err, `creating results table ${this.#table}`)
    }
  }

  async #ensure(): Promise<void> {
    if (this.#createTable && !this.#ensured) {
      await this.ensureTable()
      this.#ensured = true
    }
  }

  /** The stored results of these (device, window start) pairs, every metric. */
  async read(keys: ReadonlyArray<{ readonly deviceId: string; readonly windowStartMs: number }>): Promise<StoredResult[]> {
    if (keys.length === 0) return []
    await this.#ensure()
    type Row = {
      device_id: string
      metric: string
      window_start_ms: number
      count: number
      mean: number | null
      min: number | null
      max: number | null
      p95: number | null
      alarms: string[]
    }
    let rows: Row[]
    try {
      rows = await this.#db.query<Row>(buildResultsSelect(this.#table), [
        keys.map((k) => k.deviceId),
        keys.map((k) => new Date(k.windowStartMs).toISOString()),
      ])
    } catch (err) {
      throw translatePgError(err, `reading ${keys.length} stored result(s) from ${this.#table}`)
    }
    return rows.map((r) => ({
      deviceId: r.device_id,
      metric: r.metric,
      windowStartMs: r.window_start_ms,
      count: r.count,
      mean: r.mean,
      min: r.min,
      max: r.max,
      p95: r.p95,
      alarms: r.alarms,
    }))
  }

  async write(source: string, results: readonly WindowResult[]): Promise<void> {
    if (results.length === 0) return
    await this.#ensure()
    const col = <T>(f: (r: WindowResult) => T) => results.map(f)
    try {
      await this.#db.query(this.#upsert, [
        col((r) => r.window.deviceId),
        col((r) => r.window.metric),
        col((r) => r.aggregate.windowStart),
        col((r) => r.aggregate.windowEnd),
        col((r) => r.window.count),
        col((r) => r.window.mean),
        col((r) => r.window.min),
        col((r) => r.window.max),
        col((r) => r.window.p95),
        col((r) => JSON.stringify(r.alarmNames)),
        col(() => source),
      ])
    } catch (err) {
      throw translatePgError(err, `writing ${results.length} result(s) to ${this.#table}`)
    }
  }
}
