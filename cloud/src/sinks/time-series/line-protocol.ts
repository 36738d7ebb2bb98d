import type { TimeSeriesPoint } from './time-series-store.js'

// InfluxDB line protocol escaping ("Line protocol reference", Special characters): measurement names escape comma
// and space; tag keys, tag values and field keys escape comma, equals sign and space; string field values escape
// double quote and backslash.
const escapeMeasurement = (s: string) => s.replace(/[, ]/g, (c) => `\\${c}`)
const escapeKey = (s: string) => s.replace(/[,= ]/g, (c) => `\\${c}`)
const escapeTagValue = (s: string) => s.replace(/\\/g, '\\\\').replace(/[,= ]/g, (c) => `\\${c}`)

/** Alarms become integer fields `alarm_<name>=1i`, so InfluxQL `COUNT(/^alarm_/)` counts them per window. */
export const ALARM_FIELD_PREFIX = 'alarm_'
export const alarmField = (alarm: string) => `${ALARM_FIELD_PREFIX}${alarm}`

function formatFloat(v: number): string {
  // Line protocol floats; an integer-valued double keeps the float type without the `i` suffix.
  return Number.isFinite(v) ? String(v) : '0'
}

/** One line per point, timestamps in milliseconds (write with `precision=ms`). Tags sorted, as InfluxDB recommends. */
export function toLineProtocol(p: TimeSeriesPoint): string {
  const tags = Object.entries({ device_id: p.deviceId, ...p.dimensions })
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `,${escapeKey(k)}=${escapeTagValue(v)}`)
    .join('')
  const fields = Object.entries(p.measures).map(([k, v]) => `${escapeKey(k)}=${formatFloat(v)}`)
  fields.push(`seq=${p.seq}i`)
  for (const a of p.alarms) fields.push(`${escapeKey(alarmField(a))}=1i`)
  return `${escapeMeasurement(p.measurement)}${tags} ${fields.join(',')} ${p.timeMs}`
}
