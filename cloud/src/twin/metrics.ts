import { parseOutFile, summarizeOutput } from '@edgetwin/turbine-model'
import type { SimulationMetrics } from './decide.js'

/** The model raises `torque-limit` when the torque law is clipped for this long without a break (turbine-model alarms). */
const TORQUE_LIMIT_HOLD_S = 2
/** GenTq is written with 5 significant digits: treat values this close to the limit as at the limit. */
const AT_LIMIT_FRACTION = 0.9995

/** Episodes where the generator torque sits at its maximum for at least the alarm's hold time. */
export function torqueLimitEpisodes(timeS: Float64Array, torqueKnm: Float64Array, maxTorqueNm: number): number {
  const limitKnm = (maxTorqueNm / 1000) * AT_LIMIT_FRACTION
  let episodes = 0
  let since: number | null = null
  let counted = false
  for (let i = 0; i < timeS.length; i++) {
    if (torqueKnm[i]! >= limitKnm) {
      since ??= timeS[i]!
      if (!counted && timeS[i]! - since >= TORQUE_LIMIT_HOLD_S) {
        episodes++
        counted = true
      }
    } else {
      since = null
      counted = false
    }
  }
  return episodes
}

/**
 * Post-processes one simulation's OpenFAST `.out` text (from either engine): over-speed exceedances against the
 * threshold in force, maximum rotor speed, mean power, the thrust load indicator, and torque-limit episodes.
 */
export function simulationMetrics(
  seed: number,
  outText: string,
  thresholds: { overspeedGeneratorRpm: number; maxGeneratorTorqueNm: number },
): SimulationMetrics {
  const output = parseOutFile(outText)
  const summary = summarizeOutput(output, { overspeedGeneratorRpm: thresholds.overspeedGeneratorRpm })
  const column = (name: string) => output.columns[output.channels.indexOf(name)]
  const time = column('Time')
  const torque = column('GenTq')
  return {
    seed,
    overspeedExceedances: summary.overspeedExceedances,
    maxRotorSpeedRpm: summary.channels['RotSpeed']?.max ?? Number.NaN,
    meanPowerKw: summary.channels['GenPwr']?.mean ?? Number.NaN,
    thrustStdKn: summary.channels['RotThrust']?.std ?? Number.NaN,
    torqueLimitEpisodes: time && torque ? torqueLimitEpisodes(time, torque, thresholds.maxGeneratorTorqueNm) : 0,
  }
}
