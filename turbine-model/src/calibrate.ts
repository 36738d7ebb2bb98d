import { createHash } from 'node:crypto'
import { AERO_CORRECTION_LIMITS, type AeroCorrection, shaftWeightComponentN } from './aero-correction.js'
import { CALIBRATION_FORMAT, type CalibrationPoint, calibrationIdOf, type ModelCalibration, parseCalibration } from './calibration.js'
import { ModelError } from './errors.js'
import { AIR_DENSITY_KG_M3, NREL5MW, type Nrel5mwConstants } from './nrel5mw.js'
import { parseOutFile } from './out-file.js'
import { interpolate, type PerformanceTable } from './performance-table.js'
import { type SteadyStateOptions, type SteadyStatePoint, steadyStatePoint } from './steady-state.js'
import { MODEL_VERSION } from './version.js'

/** Below this spread of blade pitch over the runs, a pitch offset cannot be told from a Cp factor: it stays 0. */
export const MIN_PITCH_SPAN_FOR_OFFSET_DEG = 2
const OFFSET_GRID_STEP_DEG = 0.01

export interface CalibrateOptions extends Partial<SteadyStateOptions> {
  description?: string
  constants?: Nrel5mwConstants
  table?: PerformanceTable
}

interface Reduced {
  point: SteadyStatePoint
  tipSpeedRatio: number
  powerCoefficient: number
  /** Aerodynamic thrust (N): the shaft thrust less the rotor's weight along the shaft. */
  aeroThrustN?: number
  dynamicForceN: number
}

/**
 * Least squares in relative terms for a factor k over ratios q_i = model_i / measured_i: minimises Σ(k·q_i − 1)²,
 * so k = Σq / Σq². Returns [k, residual sum of squares].
 */
function factorFit(ratios: readonly number[]): [number, number] {
  let s1 = 0
  let s2 = 0
  for (const q of ratios) {
    s1 += q
    s2 += q * q
  }
  const k = s1 / s2
  let rss = 0
  for (const q of ratios) rss += (k * q - 1) ** 2
  return [k, rss]
}

/**
 * Fits the aerodynamic correction (see `AeroCorrection`) to steady operating points of the real turbine:
 * for each candidate pitch offset the Cp factor is the closed-form least-squares one; the offset is scanned on a
 * 0.01° grid over its limits and refined by golden section. The Ct factor is then fitted to the aerodynamic thrust
 * (RotThrust less the rotor's weight along the shaft) at the fitted offset.
 */
export function fitAeroCorrection(
  points: readonly SteadyStatePoint[],
  constants: Nrel5mwConstants = NREL5MW.constants,
  table: PerformanceTable = NREL5MW.table,
): { correction: AeroCorrection; pitchOffsetFitted: boolean; ctFactorFitted: boolean; residuals: CalibrationPoint[] } {
  if (points.length === 0) throw new ModelError('MODEL_CALIBRATION_DATA', 'no operating points to calibrate against')
  const radiusM = constants.rotor.rotorDiameterM / 2
  const areaM2 = Math.PI * radiusM * radiusM
  const weightN = shaftWeightComponentN(constants)
  const reduced: Reduced[] = points.map((point) => {
    const v = point.windSpeedMps
    const dynamicForceN = 0.5 * AIR_DENSITY_KG_M3 * areaM2 * v * v
    return {
      point,
      tipSpeedRatio: (((point.rotorSpeedRpm * Math.PI) / 30) * radiusM) / v,
      powerCoefficient: point.aeroPowerW / (dynamicForceN * v),
      aeroThrustN: point.shaftThrustN === undefined ? undefined : point.shaftThrustN - weightN,
      dynamicForceN,
    }
  })
  for (const r of reduced) {
    if (!(r.powerCoefficient > 0)) {
      throw new ModelError(
        'MODEL_CALIBRATION_DATA',
        `${r.point.source}: aerodynamic power ${(r.point.aeroPowerW / 1000).toFixed(1)} kW at ${r.point.windSpeedMps.toFixed(2)} m/s; ` +
          'calibration needs a producing rotor',
      )
    }
  }
  const cpRatios = (offset: number) =>
    reduced.map((r) => interpolate(table, table.cp, r.tipSpeedRatio, r.point.bladePitchDeg + offset) / r.powerCoefficient)
  const rssAt = (offset: number) => factorFit(cpRatios(offset))[1]

  const pitches = points.map((p) => p.bladePitchDeg)
  const pitchOffsetFitted = Math.max(...pitches) - Math.min(...pitches) >= MIN_PITCH_SPAN_FOR_OFFSET_DEG
  let offset = 0
  if (pitchOffsetFitted) {
    const [lo, hi] = AERO_CORRECTION_LIMITS.pitchOffsetDeg
    let best = Number.POSITIVE_INFINITY
    for (let d = lo; d <= hi + 1e-9; d += OFFSET_GRID_STEP_DEG) {
      const rss = rssAt(d)
      if (rss < best) {
        best = rss
        offset = d
      }
    }
    // Golden section inside the best grid cell's neighbours (the bilinear table makes the RSS piecewise smooth).
    let a = offset - OFFSET_GRID_STEP_DEG
    let b = offset + OFFSET_GRID_STEP_DEG
    const g = (Math.sqrt(5) - 1) / 2
    for (let i = 0; i < 40; i++) {
      const c = b - g * (b - a)
      const d = a + g * (b - a)
      if (rssAt(c) < rssAt(d)) b = d
      else a = c
    }
    offset = (a + b) / 2
  }
  const [cpFactor] = factorFit(cpRatios(offset))

  const withThrust = reduced.filter((r) => r.aeroThrustN !== undefined)
  const ctFactorFitted = withThrust.length > 0
  const ctModel = (r: Reduced) => r.dynamicForceN * interpolate(table, table.ct, r.tipSpeedRatio, r.point.bladePitchDeg + offset)
  const [ctFactor] = ctFactorFitted ? factorFit(withThrust.map((r) => ctModel(r) / r.aeroThrustN!)) : [1]

  const correction: AeroCorrection = { cpFactor, ctFactor, pitchOffsetDeg: offset }
  for (const key of ['cpFactor', 'ctFactor'] as const) {
    const [min, max] = AERO_CORRECTION_LIMITS[key]
    if (!(correction[key] >= min && correction[key] <= max)) {
      throw new ModelError(
        'MODEL_CALIBRATION_DATA',
        `fitted ${key} ${correction[key].toFixed(4)} is outside [${min}, ${max}]: are these runs of the NREL 5-MW deck, with RotPwr in kW and RotThrust in kN?`,
      )
    }
  }
  const residuals = reduced.map((r): CalibrationPoint => {
    const fittedCp = cpFactor * interpolate(table, table.cp, r.tipSpeedRatio, r.point.bladePitchDeg + offset)
    const residual: CalibrationPoint = {
      source: r.point.source,
      windSpeedMps: r.point.windSpeedMps,
      rotorSpeedRpm: r.point.rotorSpeedRpm,
      bladePitchDeg: r.point.bladePitchDeg,
      tipSpeedRatio: r.tipSpeedRatio,
      powerCoefficient: r.powerCoefficient,
      powerCoefficientErrorPercent: (fittedCp / r.powerCoefficient - 1) * 100,
    }
    if (r.point.shaftThrustN !== undefined) {
      residual.thrustErrorPercent = ((ctFactor * ctModel(r) + weightN) / r.point.shaftThrustN - 1) * 100
    }
    return residual
  })
  return { correction, pitchOffsetFitted, ctFactorFitted, residuals }
}

/**
 * `edgetwin model calibrate`: reads OpenFAST `.out` files of steady-wind runs (text, with their names), takes the
 * steady state at the end of each, fits the aerodynamic correction and returns the calibration file's content.
 */
export function calibrateFromOutFiles(files: readonly { name: string; text: string }[], options: CalibrateOptions = {}): ModelCalibration {
  if (files.length === 0) throw new ModelError('MODEL_CALIBRATION_DATA', 'no .out files given')
  const constants = options.constants ?? NREL5MW.constants
  const steady: SteadyStateOptions = { ...options, generatorEfficiency: constants.drivetrain.generatorEfficiency }
  const points = files.map((f) => {
    let output: ReturnType<typeof parseOutFile>
    try {
      output = parseOutFile(f.text)
    } catch (err) {
      if (err instanceof ModelError) throw new ModelError(err.code, `${f.name}: ${err.message}`, { cause: err })
      throw err
    }
    return steadyStatePoint(output, f.name, steady)
  })
  const fit = fitAeroCorrection(points, constants, options.table)
  const sources = files.map((f) => ({ name: f.name, sha256: createHash('sha256').update(f.text).digest('hex') }))
  return parseCalibration({
    format: CALIBRATION_FORMAT,
    id: calibrationIdOf(fit.correction, sources),
    version: MODEL_VERSION,
    description: options.description ?? `fitted to ${files.length} OpenFAST run(s)`,
    correction: fit.correction,
    fit: { pitchOffsetFitted: fit.pitchOffsetFitted, ctFactorFitted: fit.ctFactorFitted, points: fit.residuals },
    sources,
  })
}
