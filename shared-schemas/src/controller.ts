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

const DESCRIPTIONS: Record<ControllerParameterName, string> = {
  ratedGeneratorSpeedRpm: 'rated generator speed set-point of the pitch controller (rpm, high-speed shaft)',
  pitchProportionalGainS: 'pitch PI proportional gain at zero pitch (s)',
  pitchIntegralGain: 'pitch PI integral gain at zero pitch (-)',
  region2TorqueGainNmPerRpm2: 'region-2 generator torque gain (N-m/rpm^2, high-speed shaft)',
  maxGeneratorTorqueNm: 'maximum generator torque (N-m)',
  overspeedAlarmGeneratorSpeedRpm: 'filtered generator speed above which the over-speed alarm is raised (rpm)',
  maxPitchRateDegPerS: 'maximum blade pitch rate (deg/s)',
}

/**
 * The range [min, max] in which each parameter is physically meaningful for the NREL 5-MW models (the reduced-order
 * model's `checkParameters` in turbine-model refuses anything outside it): a simulation request is bounded by it.
 */
export const CONTROLLER_PARAMETER_MODEL_RANGE: Record<ControllerParameterName, readonly [number, number]> = {
  ratedGeneratorSpeedRpm: [1, 5000],
  pitchProportionalGainS: [0, 100],
  pitchIntegralGain: [0, 100],
  region2TorqueGainNmPerRpm2: [0, 10],
  maxGeneratorTorqueNm: [1, 1e6],
  overspeedAlarmGeneratorSpeedRpm: [1, 10_000],
  maxPitchRateDegPerS: [0.01, 100],
}

function parameterObject(range: (name: ControllerParameterName) => readonly [number, number]) {
  const field = (name: ControllerParameterName) => {
    const [minimum, maximum] = range(name)
    return Type.Number({ description: DESCRIPTIONS[name], minimum, maximum })
  }
  return {
    ratedGeneratorSpeedRpm: field('ratedGeneratorSpeedRpm'),
    pitchProportionalGainS: field('pitchProportionalGainS'),
    pitchIntegralGain: field('pitchIntegralGain'),
    region2TorqueGainNmPerRpm2: field('region2TorqueGainNmPerRpm2'),
    maxGeneratorTorqueNm: field('maxGeneratorTorqueNm'),
    overspeedAlarmGeneratorSpeedRpm: field('overspeedAlarmGeneratorSpeedRpm'),
    maxPitchRateDegPerS: field('maxPitchRateDegPerS'),
  }
}

/** A complete set of controller parameters (finite; the agent's safety envelope bounds what a turbine accepts). */
export const ControllerParameters = Type.Object(
  parameterObject(() => [-1e12, 1e12]),
  { $id: 'ControllerParameters', additionalProperties: false },
)
export type ControllerParameters = Static<typeof ControllerParameters>

/** A subset of controller parameters: what an update changes. */
export const ControllerParameterPatch = Type.Partial(ControllerParameters, { additionalProperties: false, minProperties: 1 })
export type ControllerParameterPatch = Static<typeof ControllerParameterPatch>

/** A patch a simulation may run: each value within CONTROLLER_PARAMETER_MODEL_RANGE. */
export const SimulationControllerParameterPatch = Type.Partial(
  Type.Object(parameterObject((name) => CONTROLLER_PARAMETER_MODEL_RANGE[name])),
  { additionalProperties: false, minProperties: 1 },
)
