import Type, { type Static } from 'typebox'
import { ControllerParameterPatch, ControllerParameters } from './controller.js'
import { SimulationEngineName } from './simulation.js'

/** A controller the twin simulates: the one in force (`patch: null`, named `current`) or a candidate change. */
export const TwinControllerInput = Type.Object(
  {
    name: Type.String({ pattern: '^[a-zA-Z0-9._-]{1,64}$' }),
    patch: Type.Union([ControllerParameterPatch, Type.Null()]),
  },
  { additionalProperties: false },
)
export type TwinControllerInput = Static<typeof TwinControllerInput>

/**
 * The turbine-model calibration a rotor-model decision rests on (turbine-model's `calibrationRef()`: id and the
 * model version it was fitted for); `null` for OpenFAST runs, and in records written before calibrations existed.
 */
export const TwinModelCalibration = Type.Object(
  { id: Type.String({ minLength: 1 }), version: Type.String({ minLength: 1 }) },
  { additionalProperties: true },
)
export type TwinModelCalibration = Static<typeof TwinModelCalibration>

/**
 * Everything a twin decision was computed from, stored as values (not only their hash), so that
 * `edgetwin twin replay <decisionId>` re-runs the same simulations and the same rule.
 */
export const TwinDecisionInputs = Type.Object(
  {
    /** The measured window that triggered the investigation. */
    conditions: Type.Object(
      {
        windowStart: Type.String(),
        windowEnd: Type.String(),
        meanWindSpeedMps: Type.Number(),
        turbulenceIntensity: Type.Number(),
        overspeedEpisodes: Type.Integer({ minimum: 0 }),
        maxRotorSpeedRpm: Type.Number(),
        powerRatio: Type.Number(),
      },
      { additionalProperties: false },
    ),
    /** The detector's thresholds in force when the window was judged (`twin.detector`). */
    detector: Type.Record(Type.String(), Type.Number()),
    /** What the twin believed was in force on the turbine: the last document version and the full parameter set. */
    parametersInForce: Type.Object(
      { version: Type.Integer({ minimum: 0 }), parameters: ControllerParameters },
      { additionalProperties: false },
    ),
    /** The controller in force first, then every candidate simulated, each with its patch. */
    controllers: Type.Array(TwinControllerInput, { minItems: 1 }),
    seeds: Type.Array(Type.Integer({ minimum: 0 }), { minItems: 1 }),
    /** The simulation request common to every run (the controller and the seed vary). */
    simulation: Type.Object(
      {
        engine: SimulationEngineName,
        windSpeedMps: Type.Number({ minimum: 0, maximum: 50 }),
        turbulenceIntensity: Type.Number({ minimum: 0, maximum: 1 }),
        durationS: Type.Number({ exclusiveMinimum: 0 }),
        dtS: Type.Number({ exclusiveMinimum: 0 }),
        outputDtS: Type.Number({ exclusiveMinimum: 0 }),
      },
      { additionalProperties: false },
    ),
    /** Post-processing: exceedances are counted against the over-speed threshold in force. */
    postProcessing: Type.Object({ overspeedGeneratorRpm: Type.Number({ exclusiveMinimum: 0 }) }, { additionalProperties: false }),
    /** The decision rule (`twin.decision`). */
    decisionRule: Type.Object({ maxPowerLossFraction: Type.Number({ minimum: 0, maximum: 1 }) }, { additionalProperties: false }),
    /** The twin's own model version (the engine's version is `engineVersion` on the record, as the server reported it). */
    model: Type.Object(
      { modelVersion: Type.String(), calibration: Type.Union([TwinModelCalibration, Type.Null()]) },
      { additionalProperties: false },
    ),
  },
  { $id: 'TwinDecisionInputs', additionalProperties: false },
)
export type TwinDecisionInputs = Static<typeof TwinDecisionInputs>

/** What the twin saw of one of its jobs on one turbine: recorded once the execution ended. */
export const TwinJobOutcome = Type.Object(
  {
    decisionId: Type.String(),
    jobId: Type.String(),
    candidate: Type.Optional(Type.String()),
    status: Type.String(),
    reasonCode: Type.Optional(Type.String()),
    reason: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
)
export type TwinJobOutcome = Static<typeof TwinJobOutcome>

export const TWIN_DECISION_ACTIONS = ['update', 'none', 'defer'] as const

/** One entry of the twin's append-only decision log. */
export const TwinDecisionRecord = Type.Object(
  {
    /** Also the `decisionId` of the job document sent for it. */
    id: Type.String({ minLength: 1, maxLength: 128 }),
    createdAt: Type.String(),
    deviceId: Type.String(),
    /** Measured conditions (an investigation) or the canary a group stage follows. */
    conditions: Type.Record(Type.String(), Type.Unknown()),
    /** SHA-256 of the canonical JSON of `inputs` (of the older inputs summary in records written before them). */
    inputsHash: Type.String(),
    engine: Type.String(),
    engineVersion: Type.String(),
    seeds: Type.Array(Type.Integer({ minimum: 0 })),
    /** The inputs themselves; absent in records written before they were kept, in group stages and in outcomes. */
    inputs: Type.Optional(TwinDecisionInputs),
    /** Simulation ids by controller and seed, aggregates, seeds finished per controller, candidates set aside. */
    results: Type.Unknown(),
    decision: Type.Object({
      action: Type.Enum(TWIN_DECISION_ACTIONS),
      candidate: Type.Optional(Type.String()),
      reason: Type.String(),
      patch: Type.Optional(Type.Record(Type.String(), Type.Number())),
      /** Version of the job document sent (or that would have been sent). */
      documentVersion: Type.Optional(Type.Integer({ minimum: 0 })),
    }),
    jobId: Type.Union([Type.String(), Type.Null()]),
    /** Set on records that note how one of the twin's jobs ended on a turbine (succeeded, or failed and rolled back). */
    outcome: Type.Optional(TwinJobOutcome),
  },
  { $id: 'TwinDecisionRecord' },
)
export type TwinDecisionRecord = Static<typeof TwinDecisionRecord>
