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

/** ISO-8601 timestamp in UTC with a `Z`, millisecond precision optional. */
export const IsoTimestamp = Type.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?Z$',
})
export type IsoTimestamp = Static<typeof IsoTimestamp>

export function isDeviceId(value: string): boolean {
  return thingNameRegExp.test(value)
}

/** pino's log levels, for every config file. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export const LogLevel = Type.Enum(LOG_LEVELS, { default: 'info' })
export type LogLevel = Static<typeof LogLevel>
