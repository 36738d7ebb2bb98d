import type {
  BatchEnvelope,
  EnvelopeRecord,
  GatewayAggregate,
  HealthReport,
  TurbineSample,
  VehiclePosition,
} from '@edgetwin/shared-schemas'
import type { ArchiveRecord } from '../sinks/archive/archive-stream.js'
import type { ArchiveLines } from '../sinks/archive/local-archive-stream.js'
import type { DevicePositionUpdate } from '../sinks/position-tracker/position-tracker.js'
import type { TimeSeriesPoint } from '../sinks/time-series/time-series-store.js'
import { dataEnd, dataStart, numericMembersText, type RecordText, usableText } from './record-text.js'

// Pure mappings from validated envelope records to what each sink takes. The envelope was validated against the
// stream's record schema, so the casts below only restate what the validator proved.

export function toPositionUpdates(envelope: BatchEnvelope, records: readonly EnvelopeRecord[]): DevicePositionUpdate[] {
  return records.map((r) => {
    const p = r.data as VehiclePosition
    return {
      deviceId: envelope.deviceId,
      sampleTime: p.sampleTime,
      position: [p.lon, p.lat],
      ...(p.accuracyM !== undefined ? { accuracyM: p.accuracyM } : {}),
    }
  })
}

export const TURBINE_MEASURES = [
  'windSpeedMps',
  'rotorSpeedRpm',
  'generatorSpeedRpm',
  'generatorPowerKw',
  'generatorTorqueKnm',
  'bladePitchDeg',
  'rotorThrustKn',
  'controllerVersion',
] as const satisfies ReadonlyArray<keyof TurbineSample>

export const AGGREGATE_MEASURES = ['count', 'mean', 'min', 'max', 'p95'] as const satisfies ReadonlyArray<keyof GatewayAggregate>

// Written out field by field rather than looped over the lists above: property access by a variable key is
// megamorphic in V8, and this runs once per record.
function turbineMeasures(s: TurbineSample): Record<string, number> {
  const m: Record<string, number> = {
    windSpeedMps: s.windSpeedMps,
    rotorSpeedRpm: s.rotorSpeedRpm,
    generatorSpeedRpm: s.generatorSpeedRpm,
    generatorPowerKw: s.generatorPowerKw,
    generatorTorqueKnm: s.generatorTorqueKnm,
    bladePitchDeg: s.bladePitchDeg,
  }
  if (s.rotorThrustKn !== undefined) m['rotorThrustKn'] = s.rotorThrustKn
  if (s.controllerVersion !== undefined) m['controllerVersion'] = s.controllerVersion
  return m
}

function aggregateMeasures(a: GatewayAggregate): Record<string, number> {
  const m: Record<string, number> = { count: a.count }
  if (a.mean !== undefined) m['mean'] = a.mean
  if (a.min !== undefined) m['min'] = a.min
  if (a.max !== undefined) m['max'] = a.max
  if (a.p95 !== undefined) m['p95'] = a.p95
  return m
}

const digit = (s: string, i: number): number => s.charCodeAt(i) - 0x30
const two = (s: string, i: number): number => digit(s, i) * 10 + digit(s, i + 1)

/**
 * Milliseconds of a validated IsoTimestamp (`YYYY-MM-DDThh:mm:ss[.f{1,9}]Z`, shared-schemas), read digit by digit:
 * what `Date.parse` returns for it (fractions past the millisecond truncated), at a fraction of its cost.
 */
export function isoTimestampMs(s: string): number {
  let ms = 0
  if (s.length > 20) {
    // `.f` to `.fffffffff`: the first three digits are the milliseconds.
    for (let i = 20, scale = 100; i < 23 && i < s.length - 1; i++, scale /= 10) ms += digit(s, i) * scale
  }
  const year = digit(s, 0) * 1000 + digit(s, 1) * 100 + two(s, 2)
  // Date.UTC reads years 0-99 as 1900-1999.
  if (year < 100) return Date.parse(s)
  return Date.UTC(year, two(s, 5) - 1, two(s, 8), two(s, 11), two(s, 14), two(s, 17), ms)
}

const NO_DIMENSIONS: Readonly<Record<string, string>> = Object.freeze({})

/**
 * One point per record. With the envelope's `text`, each point also carries its measures as the JSON the device
 * sent: the numeric members of the record, which are exactly the stream's measures (a test holds the schemas to it).
 */
export function toTimeSeriesPoints(envelope: BatchEnvelope, records: readonly EnvelopeRecord[], text?: RecordText): TimeSeriesPoint[] {
  const offset = envelope.records.length - records.length
  if (envelope.stream === 'metrics') {
    return records.map((r, i) => {
      const s = r.data as TurbineSample
      return {
        deviceId: envelope.deviceId,
        measurement: 'turbine',
        timeMs: isoTimestampMs(s.time),
        seq: r.seq,
        dimensions: NO_DIMENSIONS,
        measures: turbineMeasures(s),
        measuresJson: numericMembersText(text, offset + i, s),
        alarms: s.alarms,
      }
    })
  }
  if (envelope.stream === 'aggregate') {
    return records.map((r, i) => {
      const a = r.data as GatewayAggregate
      return {
        deviceId: envelope.deviceId,
        measurement: 'aggregate',
        timeMs: isoTimestampMs(a.windowStart),
        seq: r.seq,
        dimensions: { sourceId: a.sourceId, metric: a.metric },
        measures: aggregateMeasures(a),
        measuresJson: numericMembersText(text, offset + i, a),
        alarms: a.alarms ?? [],
      }
    })
  }
  return []
}

/** One archive line per record; `DeviceId` first, as the partitioning key. */
export function toArchiveRecords(envelope: BatchEnvelope, records: readonly EnvelopeRecord[], receivedTime: string): ArchiveRecord[] {
  return records.map((r) => ({
    DeviceId: envelope.deviceId,
    Kind: envelope.kind,
    Stream: envelope.stream,
    Seq: r.seq,
    ReceivedTime: receivedTime,
    Data: r.data,
  }))
}

/** Decimal digits of a positive integer (a seq). */
function digitsOf(n: number): number {
  let d = 1
  while (n >= 10) {
    n = Math.floor(n / 10)
    d++
  }
  return d
}

/**
 * The archive lines of `records` (a suffix of the envelope's records: those above the sink's mark), encoded as
 * `JSON.stringify` of `toArchiveRecords` would, but with each record's data copied from the envelope's validated
 * JSON text where `text` allows it; serialised only where it does not.
 */
export function toArchiveLines(
  envelope: BatchEnvelope,
  records: readonly EnvelopeRecord[],
  receivedTime: string,
  text: RecordText | undefined,
): ArchiveLines {
  const head = Buffer.from(
    `{"DeviceId":${JSON.stringify(envelope.deviceId)},"Kind":${JSON.stringify(envelope.kind)},"Stream":${JSON.stringify(envelope.stream)},"Seq":`,
  )
  const mid = Buffer.from(`,"ReceivedTime":${JSON.stringify(receivedTime)},"Data":`)
  const offset = envelope.records.length - records.length
  const fixed = head.length + mid.length + 2
  // Records whose text cannot be copied are serialised once, here; the rest are measured from their spans.
  let serialised: Array<Buffer | undefined> | undefined
  let total = 0
  let longest = 0
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!
    let dataBytes: number
    if (usableText(text, offset + i, r.data)) dataBytes = dataEnd(text, offset + i) - dataStart(text, offset + i)
    else {
      serialised ??= new Array<Buffer | undefined>(records.length)
      const b = Buffer.from(JSON.stringify(r.data))
      serialised[i] = b
      dataBytes = b.length
    }
    const line = fixed + digitsOf(r.seq) + dataBytes
    total += line
    if (line > longest) longest = line
  }
  const body = Buffer.allocUnsafe(total)
  let pos = 0
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!
    body.set(head, pos)
    pos += head.length
    const digits = digitsOf(r.seq)
    for (let n = r.seq, k = pos + digits - 1; k >= pos; k--, n = Math.floor(n / 10)) body[k] = 0x30 + (n % 10)
    pos += digits
    body.set(mid, pos)
    pos += mid.length
    const own = serialised?.[i]
    if (own) pos += own.copy(body, pos)
    else pos += text!.json.copy(body, pos, dataStart(text!, offset + i), dataEnd(text!, offset + i))
    body[pos++] = 0x7d // }
    body[pos++] = 0x0a // \n
  }
  return { partitionKey: envelope.deviceId, body, count: records.length, longestLineBytes: longest }
}

export function toHealthReports(records: readonly EnvelopeRecord[]): HealthReport[] {
  return records.map((r) => r.data as HealthReport)
}
