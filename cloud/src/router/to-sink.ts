import type {
  BatchEnvelope,
  EnvelopeRecord,
  GatewayAggregate,
  HealthReport,
  TurbineSample,
  VehiclePosition,
} from '@edgetwin/shared-schemas'
import type { ArchiveRecord } from '../sinks/archive/archive-stream.js'
import type { DevicePositionUpdate } from '../sinks/position-tracker/position-tracker.js'
import type { TimeSeriesPoint } from '../sinks/time-series/time-series-store.js'

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

const TURBINE_MEASURES = [
  'windSpeedMps',
  'rotorSpeedRpm',
  'generatorSpeedRpm',
  'generatorPowerKw',
  'generatorTorqueKnm',
  'bladePitchDeg',
  'rotorThrustKn',
  'controllerVersion',
] as const satisfies ReadonlyArray<keyof TurbineSample>

const AGGREGATE_MEASURES = ['count', 'mean', 'min', 'max', 'p95'] as const satisfies ReadonlyArray<keyof GatewayAggregate>

function pick<T extends object>(value: T, keys: readonly (keyof T)[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const k of keys) {
    const v = value[k]
    if (typeof v === 'number') out[k as string] = v
  }
  return out
}

export function toTimeSeriesPoints(envelope: BatchEnvelope, records: readonly EnvelopeRecord[]): TimeSeriesPoint[] {
  if (envelope.stream === 'metrics') {
    return records.map((r) => {
      const s = r.data as TurbineSample
      return {
        deviceId: envelope.deviceId,
        measurement: 'turbine',
        timeMs: Date.parse(s.time),
        seq: r.seq,
        dimensions: {},
        measures: pick(s, TURBINE_MEASURES),
        alarms: s.alarms,
      }
    })
  }
  if (envelope.stream === 'aggregate') {
    return records.map((r) => {
      const a = r.data as GatewayAggregate
      return {
        deviceId: envelope.deviceId,
        measurement: 'aggregate',
        timeMs: Date.parse(a.windowStart),
        seq: r.seq,
        dimensions: { sourceId: a.sourceId, metric: a.metric },
        measures: pick(a, AGGREGATE_MEASURES),
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

export function toHealthReports(records: readonly EnvelopeRecord[]): HealthReport[] {
  return records.map((r) => r.data as HealthReport)
}
