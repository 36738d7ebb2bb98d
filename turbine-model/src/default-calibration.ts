import { RIGID_ROTOR } from './aero-correction.js'
import { type ModelCalibration, parseCalibration } from './calibration.js'
import { DEFAULT_CALIBRATION_JSON } from './nrel5mw-data.js'

/**
 * The calibration the model uses unless told otherwise: fitted by `edgetwin model calibrate` to the three steady
 * OpenFAST v4.1.2 runs of `data/openfast-reference/` (NREL 5-MW land-based deck, baseline controller) and
 * stored in `data/calibration.nrel5mw-openfast-4.1.2-baseline.json`.
 */
export const DEFAULT_CALIBRATION: ModelCalibration = parseCalibration(JSON.parse(DEFAULT_CALIBRATION_JSON), 'default calibration')

/** What a decision record or a status names: the calibration id and the model version it was fitted for. */
export function calibrationRef(c: ModelCalibration = DEFAULT_CALIBRATION): { id: string; version: string } {
  return { id: c.id, version: c.version }
}

/** The rigid rotor of the Cp/Ct table, uncorrected (the model before calibration; for comparisons). */
export const RIGID_ROTOR_CALIBRATION: Pick<ModelCalibration, 'id' | 'correction'> = Object.freeze({
  id: 'rigid-rotor',
  correction: RIGID_ROTOR,
})
