import type { PostgresSourceConfig } from '@edgetwin/shared-schemas'
import { GatewayError } from './errors.js'
import type { SiteDatabase } from './site-database.js'
import { translatePgError } from './site-database.js'
import { buildPollQueries, DEVICE, type PollQueries, TIME_MS, WM } from './sql.js'
import type { Reading } from './window-aggregator.js'

export interface PollResult {
  /** Readings of rows not seen before. */
  readonly readings: Reading[]
  /** Readings of rows re-read after a restart, up to the watermark processed before it (see `poll`). */
  readonly replayed: Reading[]
  /** Rows not seen before (replayed rows are not counted). */
  readonly rows: number
  readonly replayedRows: number
  /** Rows skipped because the device or time column was null. */
  readonly invalidRows: number
  /** The watermark after this batch (unchanged when no row came back). */
  readonly watermark: string | null
  /** True when the table had no more rows after this batch: the source is idle until new rows arrive. */
  readonly caughtUp: boolean
  /** True once the row at `replayUntil` has been read again (or the table had nothing more): replay is over. */
  readonly replayDone: boolean
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

  /**
   * Reads the next batch after `watermark`. After a restart the pipeline re-reads from an earlier point to
   * rebuild its open windows; `replayUntil` is the watermark it had processed before, and rows up to and
   * including that one come back as `replayed` (watermarks are compared as PostgreSQL prints them, so the
   * boundary is the row whose watermark text equals it).
   */
  async poll(watermark: string | null, replayUntil?: string | null): Promise<PollResult> {
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
    let replaying = replayUntil !== undefined && replayUntil !== null
    let boundary = rows.length
    if (replaying) {
      const at = rows.findLastIndex((row) => String(row[WM]) === replayUntil)
      if (at >= 0) {
        boundary = at + 1
        replaying = false
      }
    } else boundary = 0
    const replayed = this.#readings(rows.slice(0, boundary))
    const fresh = this.#readings(rows.slice(boundary))
    const last = rows[rows.length - 1]
    return {
      readings: fresh.readings,
      replayed: replayed.readings,
      rows: rows.length - boundary,
      replayedRows: boundary,
      invalidRows: fresh.invalidRows,
      watermark: last ? String(last[WM]) : from,
      caughtUp: !full,
      replayDone: !replaying || !full,
    }
  }

  /**
   * Every reading of one device in one window [startMs, endMs), read again from the table: the authoritative
   * content of a window that received rows after it closed.
   */
  async readWindow(deviceId: string, startMs: number, endMs: number, limit: number): Promise<Reading[]> {
    let rows: Row[]
    try {
      rows = await this.#db.query<Row>(this.#queries.window, [
        deviceId,
        new Date(startMs).toISOString(),
        new Date(endMs).toISOString(),
        limit,
      ])
    } catch (err) {
      throw translatePgError(err, `source '${this.config.name}': recomputing a window of ${this.config.table}`)
    }
    return this.#readings(rows).readings
  }

  #readings(rows: readonly Row[]): { readings: Reading[]; invalidRows: number } {
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
    return { readings, invalidRows }
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
