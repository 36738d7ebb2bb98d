import type { ControllerParameters } from '@edgetwin/shared-schemas'
import type { ModelCalibration } from './calibration.js'
import { OUTPUT_CHANNELS, type SimulationOutput } from './channels.js'
import { ModelError, requireFinite } from './errors.js'
import { createTurbine } from './turbine.js'
import { createWindField } from './wind.js'

export { MODEL_VERSION } from './version.js'

export interface RunOptions {
  /** Mean hub-height wind speed (m/s). */
  windSpeedMps: number
  /** Longitudinal turbulence intensity σ/mean (-); 0 or absent is steady wind. */
  turbulenceIntensity?: number
  seed?: number
  durationS: number
  /** Integration step (s), default 0.01. */
  dtS?: number
  /** Output step (s), default 0.05; rounded to a whole number of integration steps. */
  outputDtS?: number
  parameters?: Partial<ControllerParameters>
  initialConditions?: { rotorSpeedRpm?: number; bladePitchDeg?: number }
  faults?: { cpScale?: number }
  /** Aerodynamic correction in force (default: DEFAULT_CALIBRATION); see `parseCalibration` for a file's. */
  calibration?: Pick<ModelCalibration, 'id' | 'correction'>
  /** ROSCO-like minimum-pitch schedule (peak shaving) on top of the baseline controller; see TurbineOptions. */
  peakShaving?: boolean
  /** Called with the completed fraction about every 1 % of the run. */
  onProgress?: (fraction: number) => void
  signal?: AbortSignal
}

/**
 * Runs the reduced-order NREL 5-MW model and returns the OpenFAST channels (see OUTPUT_CHANNELS).
 * Pure and deterministic for a given seed: no clock, no I/O.
 */
export function runSimulation(options: RunOptions): SimulationOutput {
  const windSpeedMps = requireFinite('windSpeedMps', options.windSpeedMps, 0, 50)
  const durationS = requireFinite('durationS', options.durationS, 1e-6, 86_400)
  const dtS = requireFinite('dtS', options.dtS ?? 0.01, 1e-4, 0.1)
  const outputDtS = requireFinite('outputDtS', options.outputDtS ?? 0.05, dtS, 60)
  const seed = requireFinite('seed', options.seed ?? 1, 0, 2 ** 31 - 1)
  const wind = createWindField({
    meanWindSpeedMps: windSpeedMps,
    turbulenceIntensity: options.turbulenceIntensity ?? 0,
    seed,
    // One Kaimal segment covers the whole run: no cross-fades inside a simulation.
    segmentS: Math.max(durationS + 1, 10),
  })
  const turbine = createTurbine({
    parameters: options.parameters,
    initialConditions: options.initialConditions,
    initialWindSpeedMps: windSpeedMps,
    cpScale: options.faults?.cpScale,
    calibration: options.calibration,
    peakShaving: options.peakShaving,
  })
  const steps = Math.round(durationS / dtS)
  const stride = Math.max(1, Math.round(outputDtS / dtS))
  const rows = Math.floor(steps / stride) + 1
  const columns = OUTPUT_CHANNELS.map(() => new Float64Array(rows))
  const [time, windCol, rotor, gen, torque, power, pitch, thrust, rotTorque] = columns as [
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
  ]
  const record = (row: number, s: ReturnType<typeof turbine.step>) => {
    time[row] = row * stride * dtS
    windCol[row] = s.windSpeedMps
    rotor[row] = s.rotorSpeedRpm
    gen[row] = s.generatorSpeedRpm
    torque[row] = s.generatorTorqueNm / 1000
    power[row] = s.generatorPowerW / 1000
    pitch[row] = s.bladePitchDeg
    thrust[row] = s.rotorThrustN / 1000
    rotTorque[row] = s.rotorTorqueNm / 1000
  }
  // Row 0 is the initial state with the wind at t = 0, as OpenFAST writes it.
  record(0, turbine.observe(wind.speedAt(0)))
  const progressEvery = Math.max(1, Math.floor(steps / 100))
  let row = 1
  for (let i = 1; i <= steps; i++) {
    // The controller and aerodynamics see the wind at the start of the step.
    const s = turbine.step(dtS, wind.speedAt((i - 1) * dtS))
    if (i % stride === 0) record(row++, s)
    if (i % progressEvery === 0) {
      if (options.signal?.aborted) throw new ModelError('MODEL_ABORTED', `simulation aborted at t = ${(i * dtS).toFixed(2)} s`)
      options.onProgress?.(i / steps)
    }
  }
  options.onProgress?.(1)
  return {
    channels: OUTPUT_CHANNELS.map((c) => c.name),
    units: OUTPUT_CHANNELS.map((c) => c.unit),
    columns: columns.map((c) => (row === rows ? c : c.slice(0, row))),
    calibrationId: turbine.calibrationId,
  }
}
