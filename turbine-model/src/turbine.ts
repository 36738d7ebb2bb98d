import { CONTROLLER_PARAMETER_DEFAULTS, type ControllerParameters } from '@edgetwin/shared-schemas'
import { type AeroCorrection, checkAeroCorrection, shaftWeightComponentN } from './aero-correction.js'
import { ALARM_BIT, OVERPOWER_ALARM_FRACTION } from './alarms.js'
import type { ModelCalibration } from './calibration.js'
import { BaselineController, resolveParameters, type TorqueRegion } from './controller.js'
import { DEFAULT_CALIBRATION } from './default-calibration.js'
import { requireFinite } from './errors.js'
import { AIR_DENSITY_KG_M3, NREL5MW, type Nrel5mwConstants } from './nrel5mw.js'
import { initialOperatingPoint } from './operating-point.js'
import { interpolate, type PerformanceTable } from './performance-table.js'
import { ROSCO_PEAK_SHAVING_MIN_PITCH_RAD, ROSCO_PEAK_SHAVING_WIND_MPS } from './rosco-peak-shaving.js'

const RPM_TO_RADS = Math.PI / 30
const RAD_TO_DEG = 180 / Math.PI
/** Time constant of the wind-speed estimate the peak-shaving option reads (s). */
const WIND_ESTIMATE_TIME_CONSTANT_S = 1

/** The turbine after a step, units in the names. The object is reused between steps: copy what you keep. */
export interface TurbineState {
  timeS: number
  windSpeedMps: number
  rotorSpeedRpm: number
  generatorSpeedRpm: number
  /** Generator speed after the controller's 0.25 Hz low-pass filter (rpm). */
  filteredGeneratorSpeedRpm: number
  /** Generator torque (N-m, high-speed shaft). */
  generatorTorqueNm: number
  /** Electrical power: torque × speed × generator efficiency (W). */
  generatorPowerW: number
  bladePitchDeg: number
  /** Aerodynamic torque on the low-speed shaft (N-m). */
  rotorTorqueNm: number
  /** Aerodynamic power captured by the rotor (W). */
  rotorPowerW: number
  /**
   * Force along the low-speed shaft (N), as OpenFAST's RotThrust (ElastoDyn LSShftFxa): the aerodynamic thrust plus
   * the rotor's weight along the 5° tilted shaft (94.0 kN), so it compares with OpenFAST's channel as it is.
   */
  rotorThrustN: number
  tipSpeedRatio: number
  powerCoefficient: number
  torqueRegion: TorqueRegion
  /** Alarm bits of this step (see `alarmsFromMask`). */
  alarmMask: number
}

export interface TurbineOptions {
  parameters?: Partial<ControllerParameters>
  initialConditions?: { rotorSpeedRpm?: number; bladePitchDeg?: number }
  /** Wind speed used to pick the default initial conditions (a steady-state guess). */
  initialWindSpeedMps?: number
  /** Fault injection: Cp scaled by this factor (blade erosion); 1 is a clean rotor. */
  cpScale?: number
  /**
   * The aerodynamic correction to the rigid-rotor table, from a calibration (default: DEFAULT_CALIBRATION, fitted to
   * OpenFAST v4.1.2); `RIGID_ROTOR` gives the table as it is.
   */
  calibration?: Pick<ModelCalibration, 'id' | 'correction'>
  /**
   * ROSCO-like option: ROSCO's minimum-pitch schedule (peak shaving) for the NREL 5-MW on a 1 s low-pass of the hub
   * wind speed (ROSCO's `WE_Mode = 0` estimate), on top of the baseline controller. Off by default: the model is
   * the baseline controller of NREL/TP-500-38060.
   */
  peakShaving?: boolean
  constants?: Nrel5mwConstants
  table?: PerformanceTable
}

export interface Turbine {
  /** Advances `dtS` seconds with `windSpeedMps` at hub height; returns the (reused) state. */
  step(dtS: number, windSpeedMps: number): TurbineState
  /** Recomputes the aerodynamic fields of `state` for this wind without advancing time (e.g. the t = 0 row). */
  observe(windSpeedMps: number): TurbineState
  setParameters(patch: Partial<ControllerParameters>): void
  setCpScale(cpScale: number): void
  readonly parameters: Readonly<ControllerParameters>
  /** The id of the calibration in force (names the aerodynamic correction in outputs and decisions). */
  readonly calibrationId: string
  readonly state: Readonly<TurbineState>
  /** Alarm bits raised since the last call (so a 1 Hz sampler sees an over-speed that lasted 0.2 s). */
  takeAlarms(): number
}

/**
 * One degree of freedom, rotor plus drivetrain cast to the low-speed shaft:
 *   J·dΩ/dt = Q_aero(λ, θ, V) − N·T_gen,   Q_aero = ½ρπR²V³·k_p·Cp(λ, θ + δθ)/Ω,   λ = ΩR/V
 * where k_p and δθ are the calibration's aerodynamic correction (see AeroCorrection), with the baseline controller closing the loop on the measured generator speed N·Ω. Explicit Euler at a fixed
 * step; the controller samples every step as DISCON does at OpenFAST's step.
 */
export function createTurbine(options: TurbineOptions = {}): Turbine {
  const constants = options.constants ?? NREL5MW.constants
  const table = options.table ?? NREL5MW.table
  const params = resolveParameters(options.parameters ?? {}, CONTROLLER_PARAMETER_DEFAULTS)
  let cpScale = requireFinite('cpScale', options.cpScale ?? 1, 0, 2)
  const calibration = options.calibration ?? DEFAULT_CALIBRATION
  const correction: AeroCorrection = checkAeroCorrection(calibration.correction, 'calibration.correction')
  const { cpFactor, ctFactor, pitchOffsetDeg } = correction
  const shaftWeightN = shaftWeightComponentN(constants)
  const radiusM = constants.rotor.rotorDiameterM / 2
  const areaM2 = Math.PI * radiusM * radiusM
  const gearbox = constants.drivetrain.gearboxRatio
  const inertia = constants.drivetrain.drivetrainInertiaCastToLssKgM2
  const efficiency = constants.drivetrain.generatorEfficiency
  const overpowerW = OVERPOWER_ALARM_FRACTION * constants.baselineController.ratedElectricalPowerW
  const minLambda = table.tipSpeedRatio[0]!

  const guess = initialOperatingPoint(options.initialWindSpeedMps ?? 8, params, constants, table, cpScale, correction)
  const initialRotorRpm = requireFinite(
    'initialConditions.rotorSpeedRpm',
    options.initialConditions?.rotorSpeedRpm ?? guess.rotorSpeedRpm,
    0,
    100,
  )
  const initialPitchDeg = requireFinite(
    'initialConditions.bladePitchDeg',
    options.initialConditions?.bladePitchDeg ?? guess.bladePitchDeg,
    -5,
    90,
  )

  const controller = new BaselineController(
    constants,
    params,
    options.peakShaving ? { windSpeedMps: ROSCO_PEAK_SHAVING_WIND_MPS, minPitchRad: ROSCO_PEAK_SHAVING_MIN_PITCH_RAD } : undefined,
  )
  let windEstimateMps = options.initialWindSpeedMps ?? 0
  let rotorRadS = initialRotorRpm * RPM_TO_RADS
  let pitchRad = initialPitchDeg / RAD_TO_DEG
  controller.initialize(rotorRadS * gearbox, pitchRad)
  let latched = 0

  const state: TurbineState = {
    timeS: 0,
    windSpeedMps: options.initialWindSpeedMps ?? 0,
    rotorSpeedRpm: initialRotorRpm,
    generatorSpeedRpm: initialRotorRpm * gearbox,
    filteredGeneratorSpeedRpm: initialRotorRpm * gearbox,
    generatorTorqueNm: controller.torqueNm,
    generatorPowerW: controller.torqueNm * rotorRadS * gearbox * efficiency,
    bladePitchDeg: initialPitchDeg,
    rotorTorqueNm: 0,
    rotorPowerW: 0,
    rotorThrustN: 0,
    tipSpeedRatio: 0,
    powerCoefficient: 0,
    torqueRegion: controller.region,
    alarmMask: 0,
  }

  const aeroOut = { torqueNm: 0, thrustN: 0, tipSpeedRatio: 0, powerCoefficient: 0 }
  /**
   * Rotor torque and shaft thrust at the current rotor speed from the corrected Cp and Ct surfaces (reuses one
   * object): the tables are read at the pitch plus the calibration's offset and scaled by its factors.
   */
  const aerodynamics = (v: number, pitchDeg: number) => {
    aeroOut.torqueNm = 0
    aeroOut.thrustN = shaftWeightN
    aeroOut.tipSpeedRatio = 0
    aeroOut.powerCoefficient = 0
    if (v > 0.01) {
      const lambda = (rotorRadS * radiusM) / v
      const aeroPitchDeg = pitchDeg + pitchOffsetDeg
      const cp = cpScale * cpFactor * interpolate(table, table.cp, lambda, aeroPitchDeg)
      const dynamic = 0.5 * AIR_DENSITY_KG_M3 * areaM2 * v * v
      // Q = P/Ω = ½ρAV²·R·Cp/λ; below the table's lowest λ (start-up) the torque at that λ is used.
      aeroOut.torqueNm = (dynamic * radiusM * cp) / Math.max(lambda, minLambda)
      aeroOut.thrustN += ctFactor * dynamic * interpolate(table, table.ct, lambda, aeroPitchDeg)
      aeroOut.tipSpeedRatio = lambda
      aeroOut.powerCoefficient = cp
    }
    return aeroOut
  }
  const observe = (windSpeedMps: number) => {
    const v = Number.isFinite(windSpeedMps) && windSpeedMps > 0 ? windSpeedMps : 0
    const aero = aerodynamics(v, state.bladePitchDeg)
    state.windSpeedMps = v
    state.rotorTorqueNm = aero.torqueNm
    state.rotorPowerW = aero.torqueNm * rotorRadS
    state.rotorThrustN = aero.thrustN
    state.tipSpeedRatio = aero.tipSpeedRatio
    state.powerCoefficient = aero.powerCoefficient
    return state
  }
  observe(state.windSpeedMps)

  return {
    step(dtS, windSpeedMps) {
      const v = Number.isFinite(windSpeedMps) && windSpeedMps > 0 ? windSpeedMps : 0
      // ROSCO WE_Mode 0: the hub wind through a first-order low-pass of 1 s time constant (read by peak shaving only).
      if (options.peakShaving) windEstimateMps += (1 - Math.exp(-dtS / WIND_ESTIMATE_TIME_CONSTANT_S)) * (v - windEstimateMps)
      controller.update(dtS, rotorRadS * gearbox, pitchRad, windEstimateMps)
      // No pitch actuator model: the blades follow the rate-limited command, as in ElastoDyn.
      pitchRad = controller.pitchRad
      const pitchDeg = pitchRad * RAD_TO_DEG
      const torqueNm = controller.torqueNm

      const aero = aerodynamics(v, pitchDeg)
      const aeroTorqueNm = aero.torqueNm
      const accel = (aeroTorqueNm - gearbox * torqueNm) / inertia
      rotorRadS += accel * dtS
      if (rotorRadS < 0) rotorRadS = 0 // the rotor does not turn backwards: the brake holds it

      const generatorRadS = rotorRadS * gearbox
      const powerW = torqueNm * generatorRadS * efficiency
      let alarms = controller.alarmMask
      if (powerW > overpowerW) alarms |= ALARM_BIT.overpower
      latched |= alarms

      state.timeS += dtS
      state.windSpeedMps = v
      state.rotorSpeedRpm = rotorRadS / RPM_TO_RADS
      state.generatorSpeedRpm = generatorRadS / RPM_TO_RADS
      state.filteredGeneratorSpeedRpm = controller.filteredSpeedRadS / RPM_TO_RADS
      state.generatorTorqueNm = torqueNm
      state.generatorPowerW = powerW
      state.bladePitchDeg = pitchDeg
      state.rotorTorqueNm = aeroTorqueNm
      state.rotorPowerW = aeroTorqueNm * rotorRadS
      state.rotorThrustN = aero.thrustN
      state.tipSpeedRatio = aero.tipSpeedRatio
      state.powerCoefficient = aero.powerCoefficient
      state.torqueRegion = controller.region
      state.alarmMask = alarms
      return state
    },
    observe,
    setParameters(patch) {
      controller.setParameters(patch)
    },
    setCpScale(value) {
      cpScale = requireFinite('cpScale', value, 0, 2)
    },
    get parameters() {
      return controller.parameters
    },
    calibrationId: calibration.id,
    state,
    takeAlarms() {
      const mask = latched
      latched = 0
      return mask
    },
  }
}
