import Type, { type Static } from 'typebox'

/**
 * Controller parameters an update may change, units in the names. Defaults are the NREL 5-MW baseline
 * controller (NREL/TP-500-38060, tables 7-1 and section 7); the over-speed threshold is edgetwin's.
 */
export const CONTROLLER_PARAMETER_DEFAULTS = {
  ratedGeneratorSpeedRpm: 1173.7,
  pitchProportionalGainS: 0.01882681,
  pitchIntegralGain: 0.008068634,
  region2TorqueGainNmPerRpm2: 0.0255764,
  maxGeneratorTorqueNm: 47402.91,
  overspeedAlarmGeneratorSpeedRpm: 1291.07,
  maxPitchRateDegPerS: 8,
} as const

export type ControllerParameterName = keyof typeof CONTROLLER_PARAMETER_DEFAULTS
export const CONTROLLER_PARAMETER_NAMES = Object.keys(CONTROLLER_PARAMETER_DEFAULTS) as ControllerParameterName[]

const Finite = (description: string) => Type.Number({ description, minimum: -1e12, maximum: 1e12 })

/** A complete set of controller parameters. */
export const ControllerParameters = Type.Object(
  {
    ratedGeneratorSpeedRpm: Finite('rated generator speed set-point of the pitch controller (rpm, high-speed shaft)'),
    pitchProportionalGainS: Finite('pitch PI proportional gain at zero pitch (s)'),
    pitchIntegralGain: Finite('pitch PI integral gain at zero pitch (-)'),
    region2TorqueGainNmPerRpm2: Finite('region-2 generator torque gain (N-m/rpm^2, high-speed shaft)'),
    maxGeneratorTorqueNm: Finite('maximum generator torque (N-m)'),
    overspeedAlarmGeneratorSpeedRpm: Finite('filtered generator speed above which the over-speed alarm is raised (rpm)'),
    maxPitchRateDegPerS: Finite('maximum blade pitch rate (deg/s)'),
  },
  { $id: 'ControllerParameters', additionalProperties: false },
)
export type ControllerParameters = Static<typeof ControllerParameters>

/** A subset of controller parameters: what an update changes. */
export const ControllerParameterPatch = Type.Partial(ControllerParameters, { additionalProperties: false, minProperties: 1 })
export type ControllerParameterPatch = Static<typeof ControllerParameterPatch>
