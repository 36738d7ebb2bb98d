import Type, { type Static } from 'typebox'
import { SimulationControllerParameterPatch } from './controller.js'
import { IsoTimestamp } from './ids.js'

export const SIMULATION_ENGINES = ['openfast', 'rotor-model'] as const
export const SimulationEngineName = Type.Enum(SIMULATION_ENGINES)
export type SimulationEngineName = Static<typeof SimulationEngineName>

export const SIMULATION_STATES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELED'] as const
export const SimulationState = Type.Enum(SIMULATION_STATES)
export type SimulationState = Static<typeof SimulationState>

/** Server-generated ids of simulations and uploaded decks: safe as a file name and in a URL. */
export const SIMULATION_ID_PATTERN = '^[a-zA-Z0-9_-]{1,64}$'
export const SimulationId = Type.String({ pattern: SIMULATION_ID_PATTERN, description: 'server-generated id' })

export const InitialConditions = Type.Object(
  {
    rotorSpeedRpm: Type.Optional(Type.Number({ minimum: 0, maximum: 30 })),
    bladePitchDeg: Type.Optional(Type.Number({ minimum: -5, maximum: 90 })),
  },
  { additionalProperties: false },
)
export type InitialConditions = Static<typeof InitialConditions>

/** `PUT /execute` body of a parametric run: the server prepares the inputs from these values. */
export const SimulationRequest = Type.Object(
  {
    engine: SimulationEngineName,
    windSpeedMps: Type.Number({ minimum: 0, maximum: 50, description: 'mean hub-height wind speed (m/s)' }),
    turbulenceIntensity: Type.Optional(
      Type.Number({ minimum: 0, maximum: 1, default: 0, description: 'longitudinal turbulence intensity (-)' }),
    ),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, default: 1, description: 'seed of the turbulent wind' })),
    durationS: Type.Number({ minimum: 1, maximum: 7200, description: 'simulated time (s)' }),
    dtS: Type.Optional(Type.Number({ minimum: 0.001, maximum: 0.1, description: 'solver time step (s)' })),
    outputDtS: Type.Optional(Type.Number({ minimum: 0.001, maximum: 10, description: 'output time step (s)' })),
    controllerParameters: Type.Optional(SimulationControllerParameterPatch),
    initialConditions: Type.Optional(InitialConditions),
    label: Type.Optional(Type.String({ maxLength: 128 })),
  },
  { $id: 'SimulationRequest', additionalProperties: false },
)
export type SimulationRequest = Static<typeof SimulationRequest>

/** `PUT /execute` body of a run of a previously uploaded OpenFAST deck (`POST /decks`); openfast engine only. */
export const DeckSimulationRequest = Type.Object(
  {
    engine: Type.Literal('openfast'),
    deckId: SimulationId,
    durationS: Type.Optional(Type.Number({ minimum: 1, maximum: 7200, description: 'overrides TMax (s)' })),
    label: Type.Optional(Type.String({ maxLength: 128 })),
  },
  { $id: 'DeckSimulationRequest', additionalProperties: false },
)
export type DeckSimulationRequest = Static<typeof DeckSimulationRequest>

export const ExecuteRequest = Type.Union([SimulationRequest, DeckSimulationRequest], { $id: 'ExecuteRequest' })
export type ExecuteRequest = Static<typeof ExecuteRequest>

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
    runtimeMs: Type.Optional(Type.Number({ minimum: 0, description: 'wall time from start to finish (ms)' })),
    error: Type.Optional(Type.String()),
    label: Type.Optional(Type.String()),
    deckId: Type.Optional(Type.String()),
  },
  { $id: 'SimulationStatus', additionalProperties: false },
)
export type SimulationStatus = Static<typeof SimulationStatus>

/** `PUT /execute` answer (202). */
export const ExecuteResponse = Type.Object(
  { id: SimulationId, state: SimulationState, statusUrl: Type.String(), resultsUrl: Type.String() },
  { additionalProperties: false },
)
export type ExecuteResponse = Static<typeof ExecuteResponse>

export const SimulationStatusList = Type.Object({ simulations: Type.Array(SimulationStatus) }, { additionalProperties: false })
export type SimulationStatusList = Static<typeof SimulationStatusList>

export const ChannelStatistics = Type.Object(
  { mean: Type.Number(), max: Type.Number(), min: Type.Number(), std: Type.Number() },
  { additionalProperties: false },
)

/** `summary.json` of a finished run, produced from the `.out` file whichever engine wrote it. */
export const SimulationSummary = Type.Object(
  {
    id: Type.String(),
    engine: SimulationEngineName,
    engineVersion: Type.String(),
    durationS: Type.Number(),
    overspeedGeneratorRpm: Type.Number({ description: 'generator speed threshold of an over-speed exceedance (rpm)' }),
    overspeedExceedances: Type.Integer({ minimum: 0 }),
    channels: Type.Record(Type.String(), ChannelStatistics),
  },
  { additionalProperties: false },
)
export type SimulationSummary = Static<typeof SimulationSummary>

export const ResultFile = Type.Object(
  { name: Type.String(), bytes: Type.Integer({ minimum: 0 }), url: Type.String() },
  { additionalProperties: false },
)
export const SimulationResults = Type.Object(
  { id: Type.String(), state: SimulationState, files: Type.Array(ResultFile), summary: Type.Optional(SimulationSummary) },
  { additionalProperties: false },
)
export type SimulationResults = Static<typeof SimulationResults>

/** `POST /upload_to_s3` body and answer. */
export const UploadResultsRequest = Type.Object(
  { id: SimulationId, prefix: Type.Optional(Type.String({ pattern: '^[a-zA-Z0-9_-]+(/[a-zA-Z0-9_-]+)*$', maxLength: 256 })) },
  { additionalProperties: false },
)
export type UploadResultsRequest = Static<typeof UploadResultsRequest>
export const UploadResultsResponse = Type.Object(
  { id: Type.String(), location: Type.String({ description: 's3://bucket or a local folder' }), keys: Type.Array(Type.String()) },
  { additionalProperties: false },
)
export type UploadResultsResponse = Static<typeof UploadResultsResponse>

/** `POST /decks` answer: the id to name in a DeckSimulationRequest. */
export const DeckUploadResponse = Type.Object(
  { deckId: SimulationId, entryFile: Type.String(), files: Type.Array(Type.String()) },
  { additionalProperties: false },
)
export type DeckUploadResponse = Static<typeof DeckUploadResponse>

export const SimulationIdQuery = Type.Object({ id: SimulationId }, { additionalProperties: false })
export const OptionalSimulationIdQuery = Type.Object({ id: Type.Optional(SimulationId) }, { additionalProperties: false })

/** Every error answer of the dispatch server. */
export const DispatchErrorResponse = Type.Object(
  { statusCode: Type.Integer(), code: Type.String(), error: Type.String(), message: Type.String() },
  { additionalProperties: false },
)
export type DispatchErrorResponse = Static<typeof DispatchErrorResponse>
