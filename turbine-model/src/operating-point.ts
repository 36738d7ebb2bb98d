import type { ControllerParameters } from '@edgetwin/shared-schemas'
import { type AeroCorrection, RIGID_ROTOR } from './aero-correction.js'
import { AIR_DENSITY_KG_M3, type Nrel5mwConstants } from './nrel5mw.js'
import { interpolate, type PerformanceTable } from './performance-table.js'

/** Tip-speed ratio the region-2 torque gain was designed for (NREL/TP-500-38060 section 7.2). */
const DESIGN_TIP_SPEED_RATIO = 7.55

/**
 * A steady-state guess to start a run near equilibrium instead of from rest: below rated the rotor at the design
 * tip-speed ratio (clipped to the cut-in and rated speeds) with zero pitch; above rated the rated speed and the
 * pitch at which the rotor's aerodynamic power (corrected Cp) equals rated mechanical power (bisection in the table).
 * The controller then settles the exact operating point.
 */
export function initialOperatingPoint(
  windSpeedMps: number,
  parameters: ControllerParameters,
  constants: Nrel5mwConstants,
  table: PerformanceTable,
  cpScale = 1,
  correction: AeroCorrection = RIGID_ROTOR,
): { rotorSpeedRpm: number; bladePitchDeg: number } {
  const cpAt = (lambda: number, pitchDeg: number) =>
    cpScale * correction.cpFactor * interpolate(table, table.cp, lambda, pitchDeg + correction.pitchOffsetDeg)
  const radiusM = constants.rotor.rotorDiameterM / 2
  const ratedRotorRpm = parameters.ratedGeneratorSpeedRpm / constants.drivetrain.gearboxRatio
  const cutInRotorRpm = constants.baselineController.region1To15GeneratorSpeedRpm / constants.drivetrain.gearboxRatio
  const optimalRpm = ((DESIGN_TIP_SPEED_RATIO * windSpeedMps) / radiusM) * (30 / Math.PI)
  if (windSpeedMps < constants.rotor.cutInWindMps) return { rotorSpeedRpm: Math.min(optimalRpm, cutInRotorRpm), bladePitchDeg: 0 }
  if (optimalRpm < ratedRotorRpm) return { rotorSpeedRpm: Math.max(optimalRpm, cutInRotorRpm), bladePitchDeg: 0 }
  const lambda = ((ratedRotorRpm * Math.PI) / 30) * (radiusM / windSpeedMps)
  const available = 0.5 * AIR_DENSITY_KG_M3 * Math.PI * radiusM * radiusM * windSpeedMps ** 3
  const cpNeeded = constants.baselineController.ratedMechanicalPowerW / available
  if (cpAt(lambda, 0) <= cpNeeded) return { rotorSpeedRpm: ratedRotorRpm, bladePitchDeg: 0 }
  let lo = 0
  let hi = table.pitchDeg[table.pitchDeg.length - 1]!
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2
    if (cpAt(lambda, mid) > cpNeeded) lo = mid
    else hi = mid
  }
  return { rotorSpeedRpm: ratedRotorRpm, bladePitchDeg: (lo + hi) / 2 }
}
