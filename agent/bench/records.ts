import type { TurbineSample } from '@edgetwin/shared-schemas'

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
