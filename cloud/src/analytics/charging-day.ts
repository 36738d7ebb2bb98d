import { isIsoTimestamp } from '@edgetwin/shared-schemas'
import { DateTime, IANAZone } from 'luxon'
import { FleetError } from '../fleet/errors.js'

/** The ULEZ charge runs midnight to midnight, London time (TfL: "The daily charge runs from midnight to midnight"). */
export const DEFAULT_CHARGING_TIME_ZONE = 'Europe/London'

export function assertTimeZone(timeZone: string): void {
  if (!IANAZone.isValidZone(timeZone)) {
    throw new FleetError('CLOUD_REPORT_INVALID', `time zone '${timeZone}' is not an IANA time zone (for example Europe/London)`)
  }
}

/**
 * The charging day (`YYYY-MM-DD`) a UTC sample time falls in, in `timeZone`. 2026-07-01T23:30:00Z is
 * 00:30 BST on 2 July, so it counts for 2026-07-02 in Europe/London; Athena's `DATE(sampletime)` says 07-01.
 */
export function chargingDay(sampleTime: string, timeZone = DEFAULT_CHARGING_TIME_ZONE): string {
  const day = chargingDayOrUndefined(sampleTime, timeZone)
  if (day === undefined) throw new FleetError('CLOUD_REPORT_INVALID', `sample time '${sampleTime}' is not an ISO-8601 timestamp`)
  return day
}

/** The charging day, or undefined for a sample time that is no real instant (2026-02-30, T24:00, :60). */
export function chargingDayOrUndefined(sampleTime: string, timeZone = DEFAULT_CHARGING_TIME_ZONE): string | undefined {
  if (!isIsoTimestamp(sampleTime)) return undefined
  const dt = DateTime.fromISO(sampleTime, { zone: 'utc' })
  return dt.isValid ? (dt.setZone(timeZone).toISODate() ?? undefined) : undefined
}

/** The UTC date of a sample time, as Athena's `DATE(sampletime)` counts it. */
export function utcDay(sampleTime: string): string {
  return sampleTime.slice(0, 10)
}

export interface DayRange {
  /** First charging day, inclusive, `YYYY-MM-DD`. */
  readonly from: string
  /** Last charging day, inclusive, `YYYY-MM-DD`. */
  readonly to: string
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/

/** Validates a report's date range: both dates real, from ≤ to. */
export function parseDayRange(from: string, to: string): DayRange {
  for (const [name, value] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (!DATE_RE.test(value) || !DateTime.fromISO(value, { zone: 'utc' }).isValid) {
      throw new FleetError('CLOUD_REPORT_INVALID', `--${name} '${value}' must be a date YYYY-MM-DD`)
    }
  }
  if (from > to) throw new FleetError('CLOUD_REPORT_INVALID', `--from ${from} is after --to ${to}`)
  return { from, to }
}

/** The UTC instants [start, end) that cover the charging days of `range` in `timeZone`; used to prune reads. */
export function rangeInstants(range: DayRange, timeZone = DEFAULT_CHARGING_TIME_ZONE): { startMs: number; endMs: number } {
  const start = DateTime.fromISO(range.from, { zone: timeZone }).startOf('day')
  const end = DateTime.fromISO(range.to, { zone: timeZone }).startOf('day').plus({ days: 1 })
  return { startMs: start.toMillis(), endMs: end.toMillis() }
}
