import { column, type SimulationOutput } from './channels.js'
import { ModelError } from './errors.js'

/** A steady operating point read from OpenFAST output: means over the last `windowS` seconds. */
export interface SteadyStatePoint {
  source: string
  windSpeedMps: number
  rotorSpeedRpm: number
  bladePitchDeg: number
  /** Aerodynamic (rotor) power (W): RotPwr, else RotTorq × RotSpeed, else GenPwr / generator efficiency. */
  aeroPowerW: number
  /** Which channel the aerodynamic power came from. */
  powerFrom: 'RotPwr' | 'RotTorq' | 'GenPwr'
  /** Low-speed-shaft thrust (N), OpenFAST's RotThrust (includes the rotor weight along the tilted shaft). */
  shaftThrustN?: number
}

export interface SteadyStateOptions {
  /** Averaging window at the end of the run (s); 20 s as in the comparison of issue #21. */
  windowS?: number
  /** Largest (max − min) / mean of Wind1VelX inside the window: steady wind only (-). */
  maxWindVariation?: number
  /** Largest relative change of mean RotSpeed between the window's halves: the rotor has settled (-). */
  maxRotorSpeedDrift?: number
  generatorEfficiency: number
}

const DEFAULT_WINDOW_S = 20
const DEFAULT_MAX_WIND_VARIATION = 0.01
const DEFAULT_MAX_ROTOR_DRIFT = 0.005

/** The column `name` with its unit checked (OpenFAST writes units in parentheses; `parseOutFile` strips them). */
function channel(output: SimulationOutput, source: string, name: string, unit: string, required: true): Float64Array
function channel(output: SimulationOutput, source: string, name: string, unit: string, required: false): Float64Array | undefined
function channel(output: SimulationOutput, source: string, name: string, unit: string, required: boolean) {
  const values = column(output, name)
  if (!values) {
    if (!required) return undefined
    throw new ModelError(
      'MODEL_CALIBRATION_DATA',
      `${source}: channel ${name} (${unit}) is missing; the file has ${output.channels.join(', ')}`,
    )
  }
  const got = output.units[output.channels.indexOf(name)]
  if (got?.toLowerCase() !== unit.toLowerCase()) {
    throw new ModelError('MODEL_CALIBRATION_DATA', `${source}: channel ${name} is in '${got}', expected '${unit}'`)
  }
  return values
}

function mean(values: Float64Array, from: number, to = values.length): number {
  let sum = 0
  for (let i = from; i < to; i++) sum += values[i]!
  return sum / (to - from)
}

/**
 * Reads the steady state at the end of an OpenFAST run (or one of the model's own): the means of the last
 * `windowS` seconds, after checking that the wind was steady and the rotor had settled — a calibration from a
 * turbulent or still-accelerating run would fit the transient, not the rotor.
 */
export function steadyStatePoint(output: SimulationOutput, source: string, options: SteadyStateOptions): SteadyStatePoint {
  const windowS = options.windowS ?? DEFAULT_WINDOW_S
  const time = channel(output, source, 'Time', 's', true)
  const wind = channel(output, source, 'Wind1VelX', 'm/s', true)
  const rotor = channel(output, source, 'RotSpeed', 'rpm', true)
  const pitch = channel(output, source, 'BldPitch1', 'deg', true)
  const n = time.length
  if (n < 2) throw new ModelError('MODEL_CALIBRATION_DATA', `${source}: ${n} output rows; a steady state needs a window of rows`)
  const end = time[n - 1]!
  if (end - time[0]! < windowS) {
    throw new ModelError(
      'MODEL_CALIBRATION_DATA',
      `${source}: the run covers ${(end - time[0]!).toFixed(2)} s, less than the ${windowS} s averaging window`,
    )
  }
  let from = n - 1
  while (from > 0 && time[from - 1]! >= end - windowS - 1e-9) from--

  let wMin = Number.POSITIVE_INFINITY
  let wMax = Number.NEGATIVE_INFINITY
  for (let i = from; i < n; i++) {
    wMin = Math.min(wMin, wind[i]!)
    wMax = Math.max(wMax, wind[i]!)
  }
  const windSpeedMps = mean(wind, from)
  const windVariation = (wMax - wMin) / windSpeedMps
  const maxWind = options.maxWindVariation ?? DEFAULT_MAX_WIND_VARIATION
  if (!(windSpeedMps > 0) || windVariation > maxWind) {
    throw new ModelError(
      'MODEL_CALIBRATION_DATA',
      `${source}: Wind1VelX varies by ${(windVariation * 100).toFixed(2)} % of its mean ${windSpeedMps.toFixed(3)} m/s over the last ${windowS} s; ` +
        `calibration needs steady wind (at most ${(maxWind * 100).toFixed(2)} %)`,
    )
  }
  const mid = Math.floor((from + n) / 2)
  const rotorSpeedRpm = mean(rotor, from)
  if (mid > from && mid < n) {
    const drift = Math.abs(mean(rotor, mid) - mean(rotor, from, mid)) / rotorSpeedRpm
    const maxDrift = options.maxRotorSpeedDrift ?? DEFAULT_MAX_ROTOR_DRIFT
    if (!(drift <= maxDrift)) {
      throw new ModelError(
        'MODEL_CALIBRATION_DATA',
        `${source}: RotSpeed changes by ${(drift * 100).toFixed(2)} % between the halves of the last ${windowS} s (at most ` +
          `${(maxDrift * 100).toFixed(2)} %); the rotor has not settled: run longer`,
      )
    }
  }

  const point: SteadyStatePoint = {
    source,
    windSpeedMps,
    rotorSpeedRpm,
    bladePitchDeg: mean(pitch, from),
    aeroPowerW: 0,
    powerFrom: 'RotPwr',
  }
  const rotPwr = channel(output, source, 'RotPwr', 'kW', false)
  const rotTorq = rotPwr ? undefined : channel(output, source, 'RotTorq', 'kN-m', false)
  if (rotPwr) point.aeroPowerW = mean(rotPwr, from) * 1000
  else if (rotTorq) {
    // Mean of the product, not the product of the means.
    let sum = 0
    for (let i = from; i < n; i++) sum += rotTorq[i]! * rotor[i]!
    point.aeroPowerW = ((sum / (n - from)) * 1000 * Math.PI) / 30
    point.powerFrom = 'RotTorq'
  } else {
    const gen = channel(output, source, 'GenPwr', 'kW', false)
    if (!gen) {
      throw new ModelError('MODEL_CALIBRATION_DATA', `${source}: needs one of RotPwr (kW), RotTorq (kN-m) or GenPwr (kW) for the power`)
    }
    // In a steady state the shaft carries the rotor's power to the generator, which loses (1 − efficiency).
    point.aeroPowerW = (mean(gen, from) * 1000) / options.generatorEfficiency
    point.powerFrom = 'GenPwr'
  }
  const thrust = channel(output, source, 'RotThrust', 'kN', false)
  if (thrust) point.shaftThrustN = mean(thrust, from) * 1000
  return point
}
