import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BatchEnvelope, DeviceKind, HealthReport, StreamName, TurbineSample, VehiclePosition } from '@edgetwin/shared-schemas'
import { pino } from 'pino'

export const silentLogger = pino({ level: 'silent' })

const T0 = Date.parse('2025-03-01T10:00:00.000Z')

export function turbineSample(i: number, overrides: Partial<TurbineSample> = {}): TurbineSample {
  return {
    time: new Date(T0 + i * 1000).toISOString(),
    windSpeedMps: 8 + (i % 10) / 10,
    rotorSpeedRpm: 10 + (i % 7) / 10,
    generatorSpeedRpm: 1000 + (i % 13),
    generatorPowerKw: 3000 + (i % 50),
    generatorTorqueKnm: 30 + (i % 5) / 10,
    bladePitchDeg: 2,
    alarms: i % 100 === 0 ? ['overspeed'] : [],
    ...overrides,
  }
}

/** Positions ~111 m apart along a meridian through central London, so every one passes the 30 m filter. */
export function position(i: number, overrides: Partial<VehiclePosition> = {}): VehiclePosition {
  return { sampleTime: new Date(T0 + i * 1000).toISOString(), lon: -0.1276, lat: 51.5 + i * 0.001, ...overrides }
}

export function healthReport(deviceId: string, i: number): HealthReport {
  return {
    time: new Date(T0 + i * 1000).toISOString(),
    deviceId,
    status: 'online',
    connection: 'connected',
    queueDepth: 0,
    queueBytes: 0,
    oldestAgeMs: null,
    inflight: 0,
    counters: { accepted: i, published: i, acked: i, evicted: 0, rejected: 0, quarantined: 0, filtered: 0, reconnects: 0 },
    lastError: null,
  }
}

export function envelope(
  deviceId: string,
  kind: DeviceKind,
  stream: StreamName,
  firstSeq: number,
  data: readonly unknown[],
): BatchEnvelope {
  return {
    deviceId,
    kind,
    stream,
    schemaVersion: 1,
    firstSeq,
    lastSeq: firstSeq + data.length - 1,
    records: data.map((d, i) => ({ seq: firstSeq + i, data: d })),
  }
}

export function tempDir(prefix = 'edgetwin-ingest-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}
