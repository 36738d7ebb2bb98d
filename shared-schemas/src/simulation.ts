import Type, { type Static } from 'typebox'
import { ControllerParameterPatch } from './controller.js'
import { IsoTimestamp } from './ids.js'

export const SIMULATION_ENGINES = ['openfast', 'rotor-model'] as const
export const SimulationEngineName = Type.Union(SIMULATION_ENGINES.map((e) => Type.Literal(e)))
export type SimulationEngineName = Static<typeof SimulationEngineName>

export const SIMULATION_STATES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELED'] as const
export const SimulationState = Type.Union(SIMULATION_STATES.map((s) => Type.Literal(s)))
export type SimulationState = Static<typeof SimulationState>

export const InitialConditions = Type.Object(
  {
    rotorSpeedRpm: Type.Optional(Type.Number({ minimum: 0, maximum: 30 })),
    bladePitchDeg: Type.Optional(Type.Number({ minimum: -5, maximum: 90 })),
  },
  { additionalProperties: false },
)

/** `PUT /execute` body: a parametric run, or a run of a previously uploaded OpenFAST deck. */
export const SimulationRequest = Type.Object(
  {
    engine: SimulationEngineName,
    windSpeedMps: Type.Number({ minimum: 0, maximum: 50 }),
    turbulenceIntensity: Type.Number({ minimum: 0, maximum: 1, default: 0 }),
    seed: Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, default: 1 }),
    durationS: Type.Number({ exclusiveMinimum: 0, maximum: 7200 }),
    dtS: Type.Optional(Type.Number({ minimum: 0.001, maximum: 0.1 })),
    controllerParameters: Type.Optional(ControllerParameterPatch),
    initialConditions: Type.Optional(InitialConditions),
    deckId: Type.Optional(Type.String({ pattern: '^[a-zA-Z0-9_-]{1,64}$' })),
    label: Type.Optional(Type.String({ maxLength: 128 })),
  },
  { $id: 'SimulationRequest', additionalProperties: false },
)
export type SimulationRequest = Static<typeof SimulationRequest>

export const SimulationStatus = Type.Object(
  {
    id: Type.String(),
    state: SimulationState,
    progress: Type.Number({ minimum: 0, maximum: 1 }),
    engine: SimulationEngineName,
    engineVersion: Type.String(),
    createdAt: IsoTimestamp,
    startedAt: Type.Optional(IsoTimestamp),
    finishedAt: Type.Optional(IsoTimestamp),
    error: Type.Optional(Type.String()),
    label: Type.Optional(Type.String()),
  },
  { $id: 'SimulationStatus', additionalProperties: false },
)
export type SimulationStatus = Static<typeof SimulationStatus>
