import { CONTROLLER_PARAMETER_DEFAULTS, type ControllerParameters } from '@edgetwin/shared-schemas'
import { ALARM_BIT } from './alarms.js'
import { ModelError, requireFinite } from './errors.js'
import type { Nrel5mwConstants } from './nrel5mw.js'

const RPM_TO_RADS = Math.PI / 30
const DEG_TO_RAD = Math.PI / 180

/**
 * Limits are touched briefly in normal turbulent operation; like a SCADA alarm with a persistence delay, the
 * torque-limit and pitch-rate-limit alarms are raised only when the limit has held this long without a break.
 */
export const TORQUE_LIMIT_ALARM_DELAY_S = 2
export const PITCH_RATE_ALARM_DELAY_S = 1

/**
 * A minimum-pitch schedule on the estimated wind speed (ROSCO's peak shaving, `PS_Mode = 1`): wind speeds (m/s,
 * increasing) and the pitch floor at each (rad), linear in between, clamped at the ends.
 */
export interface MinimumPitchSchedule {
  readonly windSpeedMps: Float64Array
  readonly minPitchRad: Float64Array
}

function scheduleAt(s: MinimumPitchSchedule, windMps: number): number {
  const x = s.windSpeedMps
  const n = x.length
  if (windMps <= x[0]!) return s.minPitchRad[0]!
  if (windMps >= x[n - 1]!) return s.minPitchRad[n - 1]!
  let i = 0
  while (x[i + 1]! < windMps) i++
  const f = (windMps - x[i]!) / (x[i + 1]! - x[i]!)
  return s.minPitchRad[i]! + f * (s.minPitchRad[i + 1]! - s.minPitchRad[i]!)
}

/** Which branch of the baseline torque law produced the last torque command. */
export type TorqueRegion = 1 | 1.5 | 2 | 2.5 | 3

/** Derived constants of the baseline controller, SI units (rad/s, N-m, rad) as in NREL's DISCON source. */
interface Gains {
  refSpeedRadS: number
  kpS: number
  ki: number
  cutInSpeedRadS: number
  region2StartRadS: number
  ratedSpeedRadS: number
  region2to25RadS: number
  syncSpeedRadS: number
  region2GainNmPerRadS2: number
  slope15: number
  slope25: number
  ratedPowerW: number
  maxTorqueNm: number
  maxTorqueRateNmPerS: number
  minPitchRad: number
  maxPitchRad: number
  maxPitchRateRadPerS: number
  region3MinPitchRad: number
  gainScheduleKkRad: number
  filterCornerRadS: number
  overspeedRpm: number
}

/** Checks a full parameter set; every value must be finite and physically meaningful. */
export function checkParameters(p: ControllerParameters): ControllerParameters {
  requireFinite('ratedGeneratorSpeedRpm', p.ratedGeneratorSpeedRpm, 1, 5000)
  requireFinite('pitchProportionalGainS', p.pitchProportionalGainS, 0, 100)
  requireFinite('pitchIntegralGain', p.pitchIntegralGain, 0, 100)
  requireFinite('region2TorqueGainNmPerRpm2', p.region2TorqueGainNmPerRpm2, 0, 10)
  requireFinite('maxGeneratorTorqueNm', p.maxGeneratorTorqueNm, 1, 1e6)
  requireFinite('overspeedAlarmGeneratorSpeedRpm', p.overspeedAlarmGeneratorSpeedRpm, 1, 10_000)
  requireFinite('maxPitchRateDegPerS', p.maxPitchRateDegPerS, 0.01, 100)
  return p
}

/** Merges a patch over the NREL 5-MW defaults and checks the result. Unknown names are rejected. */
export function resolveParameters(patch: Partial<ControllerParameters> = {}, base: ControllerParameters = CONTROLLER_PARAMETER_DEFAULTS) {
  for (const key of Object.keys(patch)) {
    if (!(key in CONTROLLER_PARAMETER_DEFAULTS)) throw new ModelError('MODEL_INVALID_OPTIONS', `unknown controller parameter '${key}'`)
  }
  return checkParameters({ ...base, ...patch })
}

function deriveGains(p: ControllerParameters, c: Nrel5mwConstants): Gains {
  const bc = c.baselineController
  const refSpeedRadS = p.ratedGeneratorSpeedRpm * RPM_TO_RADS
  // The report's region 2½→3 speed is 99 % of the set-point (1161.963 / 1173.7); keep that ratio when the
  // set-point changes so that rated power stays rated power.
  const ratedSpeedRadS = refSpeedRadS * (bc.region25To3GeneratorSpeedRpm / c.drivetrain.ratedGeneratorSpeedRpm)
  const cutInSpeedRadS = bc.region1To15GeneratorSpeedRpm * RPM_TO_RADS
  const region2StartRadS = bc.region15To2GeneratorSpeedRpm * RPM_TO_RADS
  const k = p.region2TorqueGainNmPerRpm2 / (RPM_TO_RADS * RPM_TO_RADS)
  const syncSpeedRadS = ratedSpeedRadS / (1 + 0.01 * bc.region25GeneratorSlipPercent)
  const slope15 = (k * region2StartRadS * region2StartRadS) / (region2StartRadS - cutInSpeedRadS)
  const slope25 = bc.ratedMechanicalPowerW / ratedSpeedRadS / (ratedSpeedRadS - syncSpeedRadS)
  // DISCON: the region 2 → 2½ transition is where K·ω² meets the slip line.
  const disc = slope25 * (slope25 - 4 * k * syncSpeedRadS)
  const region2to25RadS = k === 0 || disc < 0 ? syncSpeedRadS : (slope25 - Math.sqrt(disc)) / (2 * k)
  return {
    refSpeedRadS,
    kpS: p.pitchProportionalGainS,
    ki: p.pitchIntegralGain,
    cutInSpeedRadS,
    region2StartRadS,
    ratedSpeedRadS,
    region2to25RadS,
    syncSpeedRadS,
    region2GainNmPerRadS2: k,
    slope15,
    slope25,
    ratedPowerW: bc.ratedMechanicalPowerW,
    maxTorqueNm: p.maxGeneratorTorqueNm,
    maxTorqueRateNmPerS: bc.maxGeneratorTorqueRateNmps,
    minPitchRad: bc.minPitchDeg * DEG_TO_RAD,
    maxPitchRad: bc.maxPitchDeg * DEG_TO_RAD,
    maxPitchRateRadPerS: p.maxPitchRateDegPerS * DEG_TO_RAD,
    region3MinPitchRad: bc.minPitchForRegion3TorqueDeg * DEG_TO_RAD,
    gainScheduleKkRad: bc.pitchAtWhichAeroPowerSensitivityDoublesDeg * DEG_TO_RAD,
    filterCornerRadS: 2 * Math.PI * bc.generatorSpeedFilterCornerHz,
    overspeedRpm: p.overspeedAlarmGeneratorSpeedRpm,
  }
}

/**
 * The NREL 5-MW baseline controller (NREL/TP-500-38060 section 7, DISCON source): a first-order low-pass filter
 * on generator speed, the variable-speed torque law (regions 1, 1½, 2, 2½, 3) with maximum torque and torque
 * rate limits, and the gain-scheduled collective-pitch PI controller with anti-windup and rate limit.
 * Mutable state, no allocation per call.
 */
export class BaselineController {
  private gains: Gains
  private params: ControllerParameters
  /** Filtered generator speed (rad/s). */
  filteredSpeedRadS = 0
  /** Commanded generator torque (N-m, high-speed shaft). */
  torqueNm = 0
  /** Commanded collective blade pitch (rad). */
  pitchRad = 0
  region: TorqueRegion = 1
  /** Alarm bits raised by the last update. */
  alarmMask = 0
  private integralSpeedErrorRad = 0
  private torqueSaturatedS = 0
  private pitchRateLimitedS = 0
  /** The pitch floor in force (rad): the fixed minimum pitch, or the peak-shaving schedule at the wind estimate. */
  private pitchFloorRad = 0

  /**
   * `peakShaving`: an optional minimum-pitch schedule on the estimated wind speed (ROSCO-like option; the baseline
   * controller of the report has none). The pitch command and the PI integrator saturate at the floor, and the torque
   * law switches to region 3 when the pitch is 1° above the floor rather than above 0°.
   */
  constructor(
    private readonly constants: Nrel5mwConstants,
    parameters: ControllerParameters,
    private readonly peakShaving?: MinimumPitchSchedule,
  ) {
    this.params = checkParameters({ ...parameters })
    this.gains = deriveGains(this.params, constants)
  }

  get parameters(): Readonly<ControllerParameters> {
    return this.params
  }

  /** Changes parameters mid-run; the PI integrator is re-scaled so the pitch command does not jump. */
  setParameters(patch: Partial<ControllerParameters>): void {
    this.params = resolveParameters(patch, this.params)
    this.gains = deriveGains(this.params, this.constants)
    this.resetIntegrator()
  }

  /** Sets the state as DISCON does at its first call: filter at the measured speed, integrator matching the pitch. */
  initialize(generatorSpeedRadS: number, pitchRad: number): void {
    this.filteredSpeedRadS = generatorSpeedRadS
    this.pitchRad = Math.min(Math.max(pitchRad, this.gains.minPitchRad), this.gains.maxPitchRad)
    this.resetIntegrator()
    this.torqueNm = Math.min(this.torqueLaw(generatorSpeedRadS), this.gains.maxTorqueNm)
  }

  private resetIntegrator(): void {
    const gk = 1 / (1 + this.pitchRad / this.gains.gainScheduleKkRad)
    this.integralSpeedErrorRad = gk * this.gains.ki > 0 ? this.pitchRad / (gk * this.gains.ki) : 0
  }

  private torqueLaw(speedRadS: number): number {
    const g = this.gains
    if (speedRadS >= g.ratedSpeedRadS || this.pitchRad >= this.pitchFloorRad + g.region3MinPitchRad) {
      this.region = 3
      return g.ratedPowerW / Math.max(speedRadS, 1e-3)
    }
    if (speedRadS <= g.cutInSpeedRadS) {
      this.region = 1
      return 0
    }
    if (speedRadS < g.region2StartRadS) {
      this.region = 1.5
      return g.slope15 * (speedRadS - g.cutInSpeedRadS)
    }
    if (speedRadS < g.region2to25RadS) {
      this.region = 2
      return g.region2GainNmPerRadS2 * speedRadS * speedRadS
    }
    this.region = 2.5
    return g.slope25 * (speedRadS - g.syncSpeedRadS)
  }

  /**
   * One controller sample: measured generator speed in, torque and pitch commands out (fields). `windEstimateMps`
   * is read only with a peak-shaving schedule.
   */
  update(dtS: number, generatorSpeedRadS: number, measuredPitchRad: number, windEstimateMps = 0): void {
    const g = this.gains
    let alarms = 0
    const floor = this.peakShaving ? Math.max(g.minPitchRad, scheduleAt(this.peakShaving, windEstimateMps)) : g.minPitchRad
    this.pitchFloorRad = floor
    const alpha = Math.exp(-dtS * g.filterCornerRadS)
    const w = (1 - alpha) * generatorSpeedRadS + alpha * this.filteredSpeedRadS
    this.filteredSpeedRadS = w
    if (w / RPM_TO_RADS > g.overspeedRpm) alarms |= ALARM_BIT.overspeed

    // Torque law, then maximum torque, then the torque-rate limit (DISCON order).
    let torque = this.torqueLaw(w)
    if (torque > g.maxTorqueNm) {
      torque = g.maxTorqueNm
      this.torqueSaturatedS += dtS
      if (this.torqueSaturatedS >= TORQUE_LIMIT_ALARM_DELAY_S) alarms |= ALARM_BIT['torque-limit']
    } else {
      this.torqueSaturatedS = 0
    }
    const maxStep = g.maxTorqueRateNmPerS * dtS
    torque = Math.min(Math.max(torque, this.torqueNm - maxStep), this.torqueNm + maxStep)

    // Gain-scheduled PI on the speed error, integrator clamped so the I term alone stays within the pitch limits.
    const gk = 1 / (1 + this.pitchRad / g.gainScheduleKkRad)
    const error = w - g.refSpeedRadS
    let integral = this.integralSpeedErrorRad + error * dtS
    if (gk * g.ki > 0) integral = Math.min(Math.max(integral, floor / (gk * g.ki)), g.maxPitchRad / (gk * g.ki))
    else integral = 0
    this.integralSpeedErrorRad = integral
    let target = gk * g.kpS * error + gk * g.ki * integral
    target = Math.min(Math.max(target, floor), g.maxPitchRad)
    const maxPitchStep = g.maxPitchRateRadPerS * dtS
    let pitch = target
    if (target > measuredPitchRad + maxPitchStep) pitch = measuredPitchRad + maxPitchStep
    else if (target < measuredPitchRad - maxPitchStep) pitch = measuredPitchRad - maxPitchStep
    this.pitchRateLimitedS = pitch === target ? 0 : this.pitchRateLimitedS + dtS
    if (this.pitchRateLimitedS >= PITCH_RATE_ALARM_DELAY_S) alarms |= ALARM_BIT['pitch-rate-limit']
    pitch = Math.min(Math.max(pitch, g.minPitchRad), g.maxPitchRad)

    if (!Number.isFinite(torque) || !Number.isFinite(pitch)) {
      // Fail safe: no generator torque and feather at the maximum rate.
      alarms |= ALARM_BIT['controller-fault']
      torque = 0
      pitch = Math.min(measuredPitchRad + maxPitchStep, g.maxPitchRad)
      this.integralSpeedErrorRad = 0
    }
    this.torqueNm = torque
    this.pitchRad = pitch
    this.alarmMask = alarms
  }
}
