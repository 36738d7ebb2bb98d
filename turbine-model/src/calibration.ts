import { createHash } from 'node:crypto'
import { createValidator, SchemaError, type Static, Type } from '@edgetwin/shared-schemas'
import { AERO_CORRECTION_LIMITS, type AeroCorrection, checkAeroCorrection } from './aero-correction.js'
import { ModelError } from './errors.js'

export const CALIBRATION_FORMAT = 'edgetwin-model-calibration/1'

const limited = (key: keyof typeof AERO_CORRECTION_LIMITS, description: string) =>
  Type.Number({ minimum: AERO_CORRECTION_LIMITS[key][0], maximum: AERO_CORRECTION_LIMITS[key][1], description })

/** One steady-state operating point the fit used, with the model's residual there after the fit. */
export const CalibrationPoint = Type.Object(
  {
    source: Type.String({ description: 'file the point was read from' }),
    windSpeedMps: Type.Number(),
    rotorSpeedRpm: Type.Number(),
    bladePitchDeg: Type.Number(),
    tipSpeedRatio: Type.Number(),
    /** Aerodynamic power coefficient measured, referred to hub-height wind and the 63 m radius. */
    powerCoefficient: Type.Number(),
    /** (fitted Cp − measured Cp) / measured Cp, per cent. */
    powerCoefficientErrorPercent: Type.Number(),
    thrustErrorPercent: Type.Optional(Type.Number()),
  },
  { additionalProperties: false },
)
export type CalibrationPoint = Static<typeof CalibrationPoint>

/**
 * A calibration file (`edgetwin model calibrate … --out calibration.json`): the aerodynamic correction fitted to
 * OpenFAST runs, named by `id` (a hash of the correction and of the files it came from) so that the model's `.out`
 * headers, the dispatch server's statuses and the twin's decisions can say which one was in force.
 */
export const ModelCalibration = Type.Object(
  {
    format: Type.Literal(CALIBRATION_FORMAT),
    id: Type.String({ pattern: '^cal-[0-9a-f]{12}$' }),
    /** The model version the correction was fitted for (MODEL_VERSION). */
    version: Type.String({ minLength: 1 }),
    description: Type.String({ maxLength: 512 }),
    correction: Type.Object(
      {
        cpFactor: limited('cpFactor', 'multiplies Cp (-)'),
        ctFactor: limited('ctFactor', 'multiplies Ct (-)'),
        pitchOffsetDeg: limited('pitchOffsetDeg', 'added to the pitch at which the tables are read (deg)'),
      },
      { additionalProperties: false },
    ),
    fit: Type.Object(
      {
        /** False when the runs span too little pitch to tell an offset from a factor (then 0). */
        pitchOffsetFitted: Type.Boolean(),
        /** False when no run had a RotThrust channel (then 1). */
        ctFactorFitted: Type.Boolean(),
        points: Type.Array(CalibrationPoint, { minItems: 1 }),
      },
      { additionalProperties: false },
    ),
    sources: Type.Array(Type.Object({ name: Type.String(), sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }) }), {
      minItems: 1,
    }),
  },
  { $id: 'ModelCalibration', additionalProperties: false },
)
export type ModelCalibration = Static<typeof ModelCalibration>

const validator = createValidator(ModelCalibration)

/** The id of a calibration: the first 12 hex digits of SHA-256 over its correction and its sources' hashes. */
export function calibrationIdOf(correction: AeroCorrection, sources: readonly { sha256: string }[]): string {
  const canonical = JSON.stringify([
    correction.cpFactor,
    correction.ctFactor,
    correction.pitchOffsetDeg,
    sources.map((s) => s.sha256).sort(),
  ])
  return `cal-${createHash('sha256').update(canonical).digest('hex').slice(0, 12)}`
}

/**
 * Validates a parsed calibration file: the schema (MODEL_INVALID_CALIBRATION naming each field), then that its id
 * matches its content, so a hand-edited correction cannot keep the name of the one it replaced.
 */
export function parseCalibration(value: unknown, origin = 'calibration'): ModelCalibration {
  let c: ModelCalibration
  try {
    c = validator.parse(value)
  } catch (err) {
    if (err instanceof SchemaError) throw new ModelError('MODEL_INVALID_CALIBRATION', `${origin}: ${err.message}`, { cause: err })
    throw err
  }
  checkAeroCorrection(c.correction, `${origin}.correction`)
  const expected = calibrationIdOf(c.correction, c.sources)
  if (c.id !== expected) {
    throw new ModelError(
      'MODEL_INVALID_CALIBRATION',
      `${origin}: id '${c.id}' does not match its correction and sources (expected '${expected}'); refit instead of editing`,
    )
  }
  return Object.freeze(c)
}
