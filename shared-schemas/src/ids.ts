import Type, { type Static } from 'typebox'

/**
 * AWS IoT thing names allow `[a-zA-Z0-9:_-]`, 1-128 characters (AWS IoT API reference, CreateThing).
 * Restricting device ids to them means `+`, `#` and `/` can never reach a topic.
 */
export const THING_NAME_PATTERN = '^[a-zA-Z0-9:_-]{1,128}$'
export const thingNameRegExp = new RegExp(THING_NAME_PATTERN)

export const DeviceId = Type.String({ pattern: THING_NAME_PATTERN, minLength: 1, maxLength: 128 })
export type DeviceId = Static<typeof DeviceId>

export const DEVICE_KINDS = ['vehicle', 'turbine', 'gateway'] as const
// Literals spelled out: `Type.Union(xs.map(Type.Literal))` types as `never` (the array loses its tuple type).
export const DeviceKind = Type.Union([Type.Literal('vehicle'), Type.Literal('turbine'), Type.Literal('gateway')])
export type DeviceKind = Static<typeof DeviceKind>

export const STREAMS = ['position', 'metrics', 'events', 'aggregate', 'health'] as const
export const StreamName = Type.Union([
  Type.Literal('position'),
  Type.Literal('metrics'),
  Type.Literal('events'),
  Type.Literal('aggregate'),
  Type.Literal('health'),
])
export type StreamName = Static<typeof StreamName>

/**
 * A UTC timestamp on a real calendar day, as one regular expression (one pass, no format callback): months 01-12
 * with their lengths, 29 February only in leap years (divisible by 4, centuries only when divisible by 400),
 * hours 00-23, minutes and seconds 00-59 (no leap second: `Date.parse` and every store downstream refuse `:60`),
 * fraction optional, `Z`.
 */
const CALENDAR_DATE =
  '(\\d{4}-(((0[13578]|1[02])-(0[1-9]|[12]\\d|3[01]))|((0[469]|11)-(0[1-9]|[12]\\d|30))|(02-(0[1-9]|1\\d|2[0-8])))' +
  '|(\\d{2}(0[48]|[2468][048]|[13579][26])|([02468][048]|[13579][26])00)-02-29)'
export const ISO_TIMESTAMP_PATTERN = `^${CALENDAR_DATE}T([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(\\.\\d{1,9})?Z$`
const isoTimestampRegExp = new RegExp(ISO_TIMESTAMP_PATTERN)

/** ISO-8601 timestamp in UTC with a `Z`, a real calendar date and time of day, fraction optional. */
export const IsoTimestamp = Type.String({
  pattern: ISO_TIMESTAMP_PATTERN,
  description: 'UTC time YYYY-MM-DDThh:mm:ss[.fff]Z on a real calendar day, hour 00-23, second 00-59',
})
export type IsoTimestamp = Static<typeof IsoTimestamp>

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/**
 * Why `value` is not an IsoTimestamp (undefined when it is one), naming the part that is wrong, e.g.
 * `day 30 does not exist in 2026-02` or `hour 24 is not 00-23`. Used in validation messages and by readers
 * that must skip, not fail on, a stored value written before the check existed.
 */
export function isoTimestampProblem(value: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?Z$/.exec(value)
  if (!m) return `'${value.slice(0, 40)}' is not YYYY-MM-DDThh:mm:ss[.fff]Z`
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  if (month < 1 || month > 12) return `month ${m[2]} is not 01-12`
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  const days = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!
  if (day < 1 || day > days) return `day ${m[3]} does not exist in ${m[1]}-${m[2]} (01-${days})`
  if (hour > 23) return `hour ${m[4]} is not 00-23`
  if (minute > 59) return `minute ${m[5]} is not 00-59`
  if (second > 59) return `second ${m[6]} is not 00-59`
  return isoTimestampRegExp.test(value) ? undefined : `'${value.slice(0, 40)}' is not a UTC timestamp`
}

export function isIsoTimestamp(value: string): boolean {
  return isoTimestampProblem(value) === undefined
}

export function isDeviceId(value: string): boolean {
  return thingNameRegExp.test(value)
}

/** pino's log levels, for every config file. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export const LogLevel = Type.Enum(LOG_LEVELS, { default: 'info' })
export type LogLevel = Static<typeof LogLevel>
