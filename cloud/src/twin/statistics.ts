import type { TurbineSample } from '@edgetwin/shared-schemas'
import { expectedPowerKw } from './power-curve.js'

export interface Moments {
  readonly mean: number
  readonly max: number
  readonly std: number
}

/** The 10-minute statistics the detector judges a turbine by (IEC 61400-1 uses 10-minute windows too). */
export interface TurbineWindowStats {
  readonly deviceId: string
  readonly windowStart: string
  readonly windowEnd: string
  readonly sampleCount: number
  readonly rotorSpeedRpm: Moments
  readonly windSpeedMps: Moments
  /** Standard deviation of the wind speed over its mean (IEC 61400-1's turbulence intensity). */
  readonly turbulenceIntensity: number
  readonly meanPowerKw: number
  /** Mean of the steady power curve at each sample's wind speed (the curve is cubic: not P(mean wind)). */
  readonly expectedPowerKw: number
  /** meanPowerKw / expectedPowerKw, or 1 when nothing was expected. */
  readonly powerRatio: number
  /** Samples that carried the over-speed alarm. */
  readonly overspeedAlarmSamples: number
  /** Distinct over-speed episodes: an alarm sample that follows a sample without it (or opens the window). */
  readonly overspeedEpisodes: number
}

export function moments(values: readonly number[]): Moments {
  if (values.length === 0) return { mean: Number.NaN, max: Number.NaN, std: Number.NaN }
  let sum = 0
  let max = Number.NEGATIVE_INFINITY
  for (const v of values) {
    sum += v
    if (v > max) max = v
  }
  const mean = sum / values.length
  let squares = 0
  for (const v of values) squares += (v - mean) ** 2
  // Population standard deviation: the window is the whole population being described.
  return { mean, max, std: Math.sqrt(squares / values.length) }
}

/** Statistics of one turbine's samples in one window. `samples` must be in time order. */
export function windowStatistics(
  deviceId: string,
  windowStart: string,
  windowEnd: string,
  samples: readonly TurbineSample[],
): TurbineWindowStats {
  const rotor = moments(samples.map((s) => s.rotorSpeedRpm))
  const wind = moments(samples.map((s) => s.windSpeedMps))
  const power = moments(samples.map((s) => s.generatorPowerKw))
  const expected = samples.length === 0 ? 0 : samples.reduce((acc, s) => acc + expectedPowerKw(s.windSpeedMps), 0) / samples.length
  let alarmSamples = 0
  let episodes = 0
  let previous = false
  for (const s of samples) {
    const on = s.alarms.includes('overspeed')
    if (on) alarmSamples++
    if (on && !previous) episodes++
    previous = on
  }
  return {
    deviceId,
    windowStart,
    windowEnd,
    sampleCount: samples.length,
    rotorSpeedRpm: rotor,
    windSpeedMps: wind,
    turbulenceIntensity: wind.mean > 0 ? wind.std / wind.mean : 0,
    meanPowerKw: samples.length === 0 ? 0 : power.mean,
    expectedPowerKw: expected,
    powerRatio: expected > 0 ? power.mean / expected : 1,
    overspeedAlarmSamples: alarmSamples,
    overspeedEpisodes: episodes,
  }
}
