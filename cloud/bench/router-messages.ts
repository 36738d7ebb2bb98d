import { type BatchEnvelope, encodeEnvelope, telemetryTopic } from '@edgetwin/shared-schemas'

export const TURBINES = 200
export const VEHICLES = 50
export const METRICS_PER_BATCH = 100
export const POSITIONS_PER_BATCH = 50
const T0 = Date.parse('2025-03-01T00:00:00.000Z')

export interface BenchMessage {
  readonly topic: string
  readonly envelope: BatchEnvelope
  readonly payload: Buffer
}

/**
 * The bench's traffic: per round, one 100-record `metrics` batch per turbine and one 50-record `position` batch per
 * vehicle, the devices interleaved as a broker would deliver them. Values carry full double precision, as the
 * turbine model's do.
 */
export function buildMessages(rounds: number, compression: 'gzip' | 'none'): BenchMessage[] {
  const out: BenchMessage[] = []
  const add = (topic: string, envelope: BatchEnvelope) => out.push({ topic, envelope, payload: encodeEnvelope(envelope, compression) })
  for (let round = 0; round < rounds; round++) {
    for (let t = 0; t < TURBINES; t++) {
      const first = round * METRICS_PER_BATCH + 1
      add(telemetryTopic('turbine', `wt-${t}`, 'metrics'), {
        deviceId: `wt-${t}`,
        kind: 'turbine',
        stream: 'metrics',
        schemaVersion: 1,
        firstSeq: first,
        lastSeq: first + METRICS_PER_BATCH - 1,
        records: Array.from({ length: METRICS_PER_BATCH }, (_, i) => ({
          seq: first + i,
          data: {
            time: new Date(T0 + (first + i) * 1000).toISOString(),
            windSpeedMps: 8 + Math.sin(i) * 2,
            rotorSpeedRpm: 11 + Math.cos(i),
            generatorSpeedRpm: 1100 + i,
            generatorPowerKw: 3000 + i * 3,
            generatorTorqueKnm: 30 + i / 100,
            bladePitchDeg: 1.5,
            alarms: i === 50 ? ['overspeed' as const] : [],
          },
        })),
      })
    }
    for (let v = 0; v < VEHICLES; v++) {
      const first = round * POSITIONS_PER_BATCH + 1
      add(telemetryTopic('vehicle', `van-${v}`, 'position'), {
        deviceId: `van-${v}`,
        kind: 'vehicle',
        stream: 'position',
        schemaVersion: 1,
        firstSeq: first,
        lastSeq: first + POSITIONS_PER_BATCH - 1,
        records: Array.from({ length: POSITIONS_PER_BATCH }, (_, i) => ({
          seq: first + i,
          // Every other fix moves only ~10 m, so the distance filter drops half of them.
          data: {
            sampleTime: new Date(T0 + (first + i) * 1000).toISOString(),
            lon: -0.1 + v * 0.01,
            lat: 51.4 + (first + i - (i % 2) * 0.9) * 0.0001 * 4,
          },
        })),
      })
    }
  }
  return out
}

export const recordsIn = (messages: readonly BenchMessage[]): number => messages.reduce((n, m) => n + m.envelope.records.length, 0)
