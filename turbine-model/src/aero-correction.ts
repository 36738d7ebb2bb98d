import { requireFinite } from './errors.js'
import type { Nrel5mwConstants } from './nrel5mw.js'

/**
 * How the full aeroelastic turbine (OpenFAST: ElastoDyn's flexible blades and tower, AeroDyn 15's BEM with tower
 * influence and skewed wake) departs from the rigid-rotor Cp/Ct table. ROSCO's table is computed by CCBlade with
 * the deck's shaft tilt and precone already in it, so these are not applied again; what remains is fitted:
 *
 *   Cp_eff(λ, θ) = cpFactor · Cp(λ, θ + pitchOffsetDeg)
 *   Ct_eff(λ, θ) = ctFactor · Ct(λ, θ + pitchOffsetDeg)
 *
 * `cpFactor` is the loss of aerodynamic efficiency that does not depend on pitch (below rated the model's power is
 * otherwise a few per cent high at every wind speed); `pitchOffsetDeg` is the pitch-dependent part, an effective
 * pitch offset (the aeroelastic rotor sheds power as if pitched this much further toward feather, which shows above
 * rated where Cp is steep in pitch). The identity correction is the rigid rotor of the table.
 */
export interface AeroCorrection {
  /** Multiplies Cp (-). */
  readonly cpFactor: number
  /** Multiplies Ct (-). */
  readonly ctFactor: number
  /** Added to the blade pitch at which the Cp and Ct surfaces are read (deg). */
  readonly pitchOffsetDeg: number
}

/** The rigid rotor of the Cp/Ct table, no correction. */
export const RIGID_ROTOR: AeroCorrection = Object.freeze({ cpFactor: 1, ctFactor: 1, pitchOffsetDeg: 0 })

/** Bounds a correction must respect to be physical: a factor well away from 1 means the data or the fit is wrong. */
export const AERO_CORRECTION_LIMITS = {
  cpFactor: [0.5, 1.5],
  ctFactor: [0.5, 1.5],
  pitchOffsetDeg: [-5, 5],
} as const

/** Throws MODEL_INVALID_OPTIONS naming the field unless every term is finite and within its limits. */
export function checkAeroCorrection(c: AeroCorrection, where = 'aeroCorrection'): AeroCorrection {
  for (const key of ['cpFactor', 'ctFactor', 'pitchOffsetDeg'] as const) {
    const [min, max] = AERO_CORRECTION_LIMITS[key]
    requireFinite(`${where}.${key}`, c[key], min, max)
  }
  return c
}

/** Rotor mass: hub 56,780 kg plus three blades of 17,740 kg (NREL/TP-500-38060 table 1-1, "rotor mass 110,000 kg"). */
export const ROTOR_MASS_KG = 110_000
const GRAVITY_MPS2 = 9.80665

/**
 * The rotor's weight along the tilted low-speed shaft (N). OpenFAST's `RotThrust` is ElastoDyn's `LSShftFxa`, the
 * force the shaft carries along its axis: the aerodynamic thrust plus this component of the rotor's weight
 * (110 t × g × sin 5° = 94.0 kN on the NREL 5-MW), present even at standstill.
 */
export function shaftWeightComponentN(constants: Nrel5mwConstants): number {
  return ROTOR_MASS_KG * GRAVITY_MPS2 * Math.sin((constants.rotor.shaftTiltDeg * Math.PI) / 180)
}
