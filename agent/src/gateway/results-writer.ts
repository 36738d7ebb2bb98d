import type { WindowResult } from './alarms.js'
import type { SiteDatabase } from './site-database.js'
import { translatePgError } from './site-database.js'
import { buildResultsDdl, buildResultsUpsert } from './sql.js'

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

  async write(source: string, results: readonly WindowResult[]): Promise<void> {
    if (results.length === 0) return
    if (this.#createTable && !this.#ensured) {
      await this.ensureTable()
      this.#ensured = true
    }
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
