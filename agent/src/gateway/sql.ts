import type { PostgresSourceConfig } from '@edgetwin/shared-schemas'

/** Double-quotes an identifier (`schema.table` → `"schema"."table"`), doubling embedded quotes (PostgreSQL 4.1.1). */
export function quoteIdent(name: string): string {
  return name
    .split('.')
    .map((part) => `"${part.replaceAll('"', '""')}"`)
    .join('.')
}

/** Column aliases the generated poll query gives its bookkeeping columns. */
export const WM = '__edgetwin_wm'
export const DEVICE = '__edgetwin_device'
export const TIME_MS = '__edgetwin_time_ms'

export interface PollQueries {
  /** First poll, no watermark yet: `$1` = limit. */
  readonly initial: string
  /** Later polls: `$1` = watermark (text), `$2` = limit. */
  readonly incremental: string
  /**
   * Every row of one device in one window, in watermark order, to recompute a window that received late rows:
   * `$1` = device id (text), `$2` = window start, `$3` = window end (timestamptz, end exclusive), `$4` = limit.
   */
  readonly window: string
}

/**
 * The incremental poll: rows after the watermark in watermark order. The watermark comes back as text so it
 * round-trips exactly (a JavaScript Date would drop PostgreSQL's microseconds and re-read rows); the time as
 * epoch milliseconds so no client-side time-zone parsing is involved.
 */
export function buildPollQueries(source: PostgresSourceConfig): PollQueries {
  const wm = quoteIdent(source.watermark.column)
  const cast = source.watermark.type === 'integer' ? 'bigint' : 'timestamptz'
  const select = [
    `${wm}::text AS ${WM}`,
    `${quoteIdent(source.deviceColumn)}::text AS ${DEVICE}`,
    `(extract(epoch FROM ${quoteIdent(source.timeColumn)}) * 1000)::float8 AS ${TIME_MS}`,
    ...source.metricColumns.map((c) => `${quoteIdent(c)}::float8 AS ${quoteIdent(c)}`),
  ].join(', ')
  const extra = source.where ? ` AND (${source.where})` : ''
  const from = `SELECT ${select} FROM ${quoteIdent(source.table)}`
  const device = quoteIdent(source.deviceColumn)
  const time = quoteIdent(source.timeColumn)
  return {
    initial: `${from} WHERE ${wm} IS NOT NULL${extra} ORDER BY ${wm} LIMIT $1`,
    incremental: `${from} WHERE ${wm} > $1::${cast}${extra} ORDER BY ${wm} LIMIT $2`,
    window: `${from} WHERE ${wm} IS NOT NULL AND ${device}::text = $1 AND ${time} >= $2::timestamptz AND ${time} < $3::timestamptz${extra} ORDER BY ${wm} LIMIT $4`,
  }
}

const RESULT_COLUMNS = ['device_id', 'metric', 'window_start', 'window_end', 'count', 'mean', 'min', 'max', 'p95', 'alarms', 'source']

/** The results table of the reference architecture (`results_proc`): one row per device, metric and window. */
export function buildResultsDdl(table: string): string {
  return `CREATE TABLE IF NOT EXISTS ${quoteIdent(table)} (
  "device_id" text NOT NULL,
  "metric" text NOT NULL,
  "window_start" timestamptz NOT NULL,
  "window_end" timestamptz NOT NULL,
  "count" integer NOT NULL,
  "mean" double precision,
  "min" double precision,
  "max" double precision,
  "p95" double precision,
  "alarms" text[] NOT NULL DEFAULT '{}',
  "source" text NOT NULL,
  "computed_at" timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY ("device_id", "metric", "window_start")
)`
}

/** The stored results of given (device, window start) pairs: `$1` = device ids, `$2` = window starts. */
export function buildResultsSelect(table: string): string {
  return `SELECT r."device_id", r."metric", (extract(epoch FROM r."window_start") * 1000)::float8 AS "window_start_ms", r."count",
  r."mean", r."min", r."max", r."p95", r."alarms"
FROM ${quoteIdent(table)} r JOIN unnest($1::text[], $2::timestamptz[]) AS k(d, ws) ON r."device_id" = k.d AND r."window_start" = k.ws`
}

/**
 * One statement upserts a whole batch of results (parallel arrays through `unnest`). `ON CONFLICT ... DO UPDATE`
 * on the primary key makes a replay after a crash rewrite the same row instead of adding one.
 */
export function buildResultsUpsert(table: string): string {
  const cols = RESULT_COLUMNS.map((c) => `"${c}"`).join(', ')
  const updates = RESULT_COLUMNS.filter((c) => !['device_id', 'metric', 'window_start'].includes(c))
    .map((c) => `"${c}" = EXCLUDED."${c}"`)
    .join(', ')
  return `INSERT INTO ${quoteIdent(table)} (${cols})
SELECT d, m, ws, we, c, mean, mn, mx, p, ARRAY(SELECT jsonb_array_elements_text(a::jsonb)), s
FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::int[], $6::float8[], $7::float8[], $8::float8[],
  $9::float8[], $10::text[], $11::text[]) AS u(d, m, ws, we, c, mean, mn, mx, p, a, s)
ON CONFLICT ("device_id", "metric", "window_start") DO UPDATE SET ${updates}, "computed_at" = now()`
}
