import type { PostgresSourceConfig } from '@edgetwin/shared-schemas'
import { GatewayError } from './errors.js'
import type { SiteDatabase } from './site-database.js'
import { translatePgError } from './site-database.js'
import { buildPollQueries, DEVICE, type PollQueries, TIME_MS, WM } from './sql.js'
import type { Reading } from './window-aggregator.js'

export interface PollResult {
  readonly readings: Reading[]
  readonly rows: number
  /** Rows skipped because the device or time column was null. */
  readonly invalidRows: number
  /** The watermark after this batch (unchanged when no row came back). */
  readonly watermark: string | null
  /** True when the table had no more rows after this batch: the source is idle until new rows arrive. */
  readonly caughtUp: boolean
}

type Row = Record<string, unknown>

/** Reads one batch of rows after `watermark` from a site table and turns them into readings. */
export class PostgresSource {
  readonly config: PostgresSourceConfig
  readonly #db: SiteDatabase
  readonly #queries: PollQueries

  constructor(config: PostgresSourceConfig, db: SiteDatabase) {
    this.config = config
    this.#db = db
    this.#queries = buildPollQueries(config)
  }

  async poll(watermark: string | null): Promise<PollResult> {
    const limit = this.config.batchSize
    const from = watermark ?? this.config.watermark.initial ?? null
    let rows: Row[]
    try {
      rows =
        from === null
          ? await this.#db.query<Row>(this.#queries.initial, [limit])
          : await this.#db.query<Row>(this.#queries.incremental, [from, limit])
    } catch (err) {
      throw translatePgError(err, `source '${this.config.name}': polling ${this.config.table}`)
    }
    const full = rows.length === limit
    if (full) rows = this.#trimTies(rows)
    const readings: Reading[] = []
    let invalidRows = 0
    for (const row of rows) {
      const deviceId = row[DEVICE]
      const timeMs = row[TIME_MS]
      if (typeof deviceId !== 'string' || deviceId === '' || typeof timeMs !== 'number' || !Number.isFinite(timeMs)) {
        invalidRows++
        continue
      }
      for (const metric of this.config.metricColumns) {
        const value = row[metric]
        if (typeof value === 'number' && Number.isFinite(value)) readings.push({ deviceId, metric, timeMs, value })
      }
    }
    const last = rows[rows.length - 1]
    return {
      readings,
      rows: rows.length,
      invalidRows,
      watermark: last ? String(last[WM]) : from,
      caughtUp: !full,
    }
  }

  /**
   * A full batch may end in the middle of a run of rows sharing one watermark value; the next poll (`> value`)
   * would skip the rest of the run. Dropping the trailing run here re-reads it whole next time: no gap, no repeat.
   */
  #trimTies(rows: Row[]): Row[] {
    const lastWm = rows[rows.length - 1]?.[WM]
    let i = rows.length - 1
    while (i > 0 && rows[i - 1]?.[WM] === lastWm) i--
    if (i === 0) {
      throw new GatewayError(
        'AGENT_GATEWAY_CONFIG',
        `source '${this.config.name}': more than batchSize (${this.config.batchSize}) rows share watermark ${String(lastWm)}; raise batchSize or use a unique watermark column`,
      )
    }
    return rows.slice(0, i)
  }
}
