import type { GatewayAggregate, StreamName, TurbineSample } from '@edgetwin/shared-schemas'

/** A ~200-byte turbine sample, varying per `n` like real telemetry. */
export function benchRecord(n: number): TurbineSample {
  return {
    time: new Date(Date.UTC(2024, 0, 1) + n * 1000).toISOString(),
    windSpeedMps: 8 + (n % 70) / 10,
    rotorSpeedRpm: 9 + (n % 30) / 10,
    generatorSpeedRpm: 1000 + (n % 1737) / 10,
    generatorPowerKw: 3000 + (n % 2000),
    generatorTorqueKnm: 30 + (n % 130) / 10,
    bladePitchDeg: (n % 50) / 10,
    rotorThrustKn: 500 + (n % 300),
    alarms: [],
    controllerVersion: 3,
  }
}

/** A ~2 KB gateway aggregate (the largest records a device sends routinely), varying per `n`. */
export function benchRecord2k(n: number): GatewayAggregate {
  const start = Date.UTC(2024, 0, 1) + n * 60_000
  return {
    windowStart: new Date(start).toISOString(),
    windowEnd: new Date(start + 60_000).toISOString(),
    sourceId: `site-7/line-${n % 16}/plc-${n % 5}`,
    metric: 'bearing-temperature-c',
    count: 600 + (n % 7),
    mean: 61 + (n % 90) / 10,
    min: 55 + (n % 40) / 10,
    max: 70 + (n % 50) / 10,
    p95: 68 + (n % 30) / 10,
    alarms: Array.from(
      { length: 31 },
      (_, i) => `alarm ${(n + i) % 97}: bearing ${i} above threshold for ${(n * 7 + i) % 600} s on line ${n % 16}`,
    ),
  }
}

export type RecordSize = '200B' | '2KB'

/** The stream and record generator of a bench record size. */
export function recordsOf(size: RecordSize): { stream: StreamName; make: (n: number) => unknown } {
  return size === '2KB' ? { stream: 'aggregate', make: benchRecord2k } : { stream: 'metrics', make: benchRecord }
}

/**
 * Records made before a timed loop, as the ceilings serialise theirs beforehand: the agent's figures then count
 * the agent, not the bench's record maker (17 us per 2 KB record, 0.8 us per 200 B one). `count` distinct records
 * is more than a batch holds and spans more than gzip's 32 KiB window, so compression sees no repeats.
 */
export function recordRing(size: RecordSize, count = 1024): { stream: StreamName; record: (n: number) => unknown } {
  const { stream, make } = recordsOf(size)
  const ring = Array.from({ length: count }, (_, i) => make(i))
  return { stream, record: (n) => ring[n % count] }
}
