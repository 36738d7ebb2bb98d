import type { TurbineAlarm, TurbineSample } from '@edgetwin/shared-schemas'
import type { TimeSeriesPoint, TimeSeriesReader } from './time-series-store.js'

/** Rebuilds the turbine sample a `turbine` point was written from (the inverse of the router's mapping). */
export function toTurbineSample(p: TimeSeriesPoint): TurbineSample {
  const m = p.measures
  return {
    time: new Date(p.timeMs).toISOString(),
    windSpeedMps: m['windSpeedMps'] ?? 0,
    rotorSpeedRpm: m['rotorSpeedRpm'] ?? 0,
    generatorSpeedRpm: m['generatorSpeedRpm'] ?? 0,
    generatorPowerKw: m['generatorPowerKw'] ?? 0,
    generatorTorqueKnm: m['generatorTorqueKnm'] ?? 0,
    bladePitchDeg: m['bladePitchDeg'] ?? 0,
    ...(m['rotorThrustKn'] !== undefined ? { rotorThrustKn: m['rotorThrustKn'] } : {}),
    alarms: p.alarms as TurbineAlarm[],
    ...(m['controllerVersion'] !== undefined ? { controllerVersion: m['controllerVersion'] } : {}),
  }
}

/** Turbine telemetry read back from any TimeSeriesReader, in the shape the twin's detector consumes. */
export function createTurbineSeries(reader: TimeSeriesReader) {
  return {
    turbines: (from: Date, to: Date): Promise<string[]> => reader.devices('turbine', from.getTime(), to.getTime()),
    async samples(deviceId: string, from: Date, to: Date): Promise<TurbineSample[]> {
      const points = await reader.range({ deviceId, measurement: 'turbine', fromMs: from.getTime(), toMs: to.getTime() })
      return points.map(toTurbineSample)
    },
  }
}
