import { CONTROLLER_PARAMETER_DEFAULTS } from '@edgetwin/shared-schemas'
import { column, type SimulationOutput } from './channels.js'

/** The generator-speed filter of the baseline controller: first order, 0.25 Hz corner (NREL/TP-500-38060 §7.1). */
export const GENERATOR_SPEED_FILTER_CORNER_HZ = 0.25

/** An over-speed episode ends when the filtered speed falls below the threshold by this fraction. */
export const OVERSPEED_HYSTERESIS_FRACTION = 0.01

export interface ChannelStatistics {
  mean: number
  max: number
  min: number
  std: number
}

export interface OutputSummary {
  channels: Record<string, ChannelStatistics>
  /** Distinct over-speed episodes; see `countOverspeedEpisodes`. */
  overspeedExceedances: number
  durationS: number
}

function statistics(values: Float64Array): ChannelStatistics {
  const n = values.length
  if (n === 0) return { mean: 0, max: 0, min: 0, std: 0 }
  let sum = 0
  let min = Number.POSITIVE_INFINITY
  let max = Number.NEGATIVE_INFINITY
  for (const v of values) {
    sum += v
    if (v < min) min = v
    if (v > max) max = v
  }
  const mean = sum / n
  let sq = 0
  for (const v of values) sq += (v - mean) * (v - mean)
  return { mean, max, min, std: Math.sqrt(sq / n) }
}

/**
 * Counts over-speed episodes in a GenSpeed series: the series is passed through the controller's 0.25 Hz
 * first-order low-pass filter (at the series' own time step, starting from its first value); an episode starts
 * when the filtered speed rises above `thresholdRpm` and ends when it falls below `thresholdRpm × (1 − 1 %)`,
 * so chatter around the threshold counts once.
 */
export function countOverspeedEpisodes(timeS: Float64Array, generatorSpeedRpm: Float64Array, thresholdRpm: number): number {
  const n = generatorSpeedRpm.length
  if (n === 0) return 0
  const cornerRadS = 2 * Math.PI * GENERATOR_SPEED_FILTER_CORNER_HZ
  const resetBelow = thresholdRpm * (1 - OVERSPEED_HYSTERESIS_FRACTION)
  let filtered = generatorSpeedRpm[0]!
  let inEpisode = filtered > thresholdRpm
  let episodes = inEpisode ? 1 : 0
  for (let i = 1; i < n; i++) {
    const alpha = Math.exp(-(timeS[i]! - timeS[i - 1]!) * cornerRadS)
    filtered = (1 - alpha) * generatorSpeedRpm[i]! + alpha * filtered
    if (!inEpisode && filtered > thresholdRpm) {
      inEpisode = true
      episodes++
    } else if (inEpisode && filtered < resetBelow) {
      inEpisode = false
    }
  }
  return episodes
}

/** Mean, max, min and standard deviation of every channel but Time, and the over-speed episodes of GenSpeed. */
export function summarizeOutput(output: SimulationOutput, opts: { overspeedGeneratorRpm?: number } = {}): OutputSummary {
  const threshold = opts.overspeedGeneratorRpm ?? CONTROLLER_PARAMETER_DEFAULTS.overspeedAlarmGeneratorSpeedRpm
  const channels: Record<string, ChannelStatistics> = {}
  output.channels.forEach((name, i) => {
    if (name !== 'Time') channels[name] = statistics(output.columns[i]!)
  })
  const time = column(output, 'Time') ?? new Float64Array()
  const gen = column(output, 'GenSpeed')
  return {
    channels,
    overspeedExceedances: gen ? countOverspeedEpisodes(time, gen, threshold) : 0,
    durationS: time.length > 0 ? time[time.length - 1]! - time[0]! : 0,
  }
}
