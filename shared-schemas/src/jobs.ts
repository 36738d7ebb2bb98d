import Type, { type Static } from 'typebox'
import { ControllerParameterPatch } from './controller.js'
import { DeviceId } from './ids.js'
import { JOB_ID_PATTERN } from './topics.js'

export const JOB_EXECUTION_STATUSES = [
  'QUEUED',
  'IN_PROGRESS',
  'SUCCEEDED',
  'FAILED',
  'REJECTED',
  'TIMED_OUT',
  'CANCELED',
  'REMOVED',
] as const
// Spelled out rather than mapped: a mapped array of literals gives TypeBox a union whose Static is `never`.
export type JobExecutionStatus = (typeof JOB_EXECUTION_STATUSES)[number]
export const JobExecutionStatus = Type.Union([
  Type.Literal('QUEUED'),
  Type.Literal('IN_PROGRESS'),
  Type.Literal('SUCCEEDED'),
  Type.Literal('FAILED'),
  Type.Literal('REJECTED'),
  Type.Literal('TIMED_OUT'),
  Type.Literal('CANCELED'),
  Type.Literal('REMOVED'),
])

/** Statuses after which an execution never changes again (AWS IoT developer guide, "Job execution states"). */
export const TERMINAL_JOB_EXECUTION_STATUSES: readonly JobExecutionStatus[] = [
  'SUCCEEDED',
  'FAILED',
  'REJECTED',
  'TIMED_OUT',
  'CANCELED',
  'REMOVED',
]
export function isTerminalStatus(status: JobExecutionStatus): boolean {
  return TERMINAL_JOB_EXECUTION_STATUSES.includes(status)
}

const JobId = Type.String({ pattern: JOB_ID_PATTERN })

/**
 * Signing schemes a device accepts. `Ed25519` (RFC 8032, the signature over the message itself) for keys held
 * locally; `ECDSA_P256_SHA256` (ECDSA over SHA-256 on NIST P-256, DER-encoded signature) is what an AWS KMS key
 * of spec `ECC_NIST_P256` produces with signing algorithm `ECDSA_SHA_256`, so the private key never leaves KMS.
 */
export const JOB_SIGNATURE_ALGORITHMS = ['Ed25519', 'ECDSA_P256_SHA256'] as const
export type JobSignatureAlgorithm = (typeof JOB_SIGNATURE_ALGORITHMS)[number]

/** Detached signature over `canonicalJobDocumentBytes(document)` (the document without `signature`). */
export const JobSignature = Type.Object(
  {
    algorithm: Type.Union([Type.Literal('Ed25519'), Type.Literal('ECDSA_P256_SHA256')]),
    keyId: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    value: Type.String({ minLength: 1, maxLength: 256, pattern: '^[A-Za-z0-9+/]+={0,2}$' }),
  },
  { additionalProperties: false },
)
export type JobSignature = Static<typeof JobSignature>

/** AWS IoT thing group names: 1-128 of `[a-zA-Z0-9:_-]` (CreateThingGroup API reference). */
export const THING_GROUP_NAME_PATTERN = '^[a-zA-Z0-9:_-]{1,128}$'

/**
 * What a signature is for, inside the signed bytes: the job it was issued for, the things or thing groups it may
 * run on, and when it stops being valid. Without it, a document signed for one turbine could be replayed as a
 * new job on another (a signature over parameters alone names no device).
 */
export const JobSignatureBinding = Type.Object(
  {
    jobId: JobId,
    /** Thing names the document may be applied on. */
    things: Type.Optional(Type.Array(DeviceId, { minItems: 1, maxItems: 1000, uniqueItems: true })),
    /** Thing groups whose members may apply it (a device knows its groups from its configuration). */
    thingGroups: Type.Optional(
      Type.Array(Type.String({ pattern: THING_GROUP_NAME_PATTERN }), { minItems: 1, maxItems: 100, uniqueItems: true }),
    ),
    /** Seconds since the epoch after which the document is refused. */
    expiresAtS: Type.Integer({ minimum: 1, maximum: 253_402_300_799 }),
  },
  { $id: 'JobSignatureBinding', additionalProperties: false },
)
export type JobSignatureBinding = Static<typeof JobSignatureBinding>

/** The IoT job document that changes a turbine's controller. */
export const ControllerUpdateJobDocument = Type.Object(
  {
    operation: Type.Literal('controller-update'),
    /** Must increase from one applied update to the next, so that a replayed old document is refused. */
    version: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    parameters: ControllerParameterPatch,
    reason: Type.Optional(Type.String({ maxLength: 1024 })),
    decisionId: Type.Optional(Type.String({ maxLength: 128 })),
    /** Overrides the agent's health-gate window for this update (the agent caps it at its configured maximum). */
    healthGate: Type.Optional(Type.Object({ windowS: Type.Integer({ minimum: 1, maximum: 86_400 }) }, { additionalProperties: false })),
    /** Job id, targets and expiry the signature is bound to; required on a signed document. */
    binding: Type.Optional(JobSignatureBinding),
    signature: Type.Optional(JobSignature),
  },
  { $id: 'ControllerUpdateJobDocument', additionalProperties: false },
)
export type ControllerUpdateJobDocument = Static<typeof ControllerUpdateJobDocument>

/** JSON with object keys sorted at every level and no whitespace (undefined members dropped). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
    return `{${entries.join(',')}}`
  }
  return JSON.stringify(value)
}

/**
 * The bytes a controller-update signature covers: the document without `signature`, as JSON with keys sorted
 * at every level and no whitespace. Signer (cloud) and verifier (agent) both call this, so they cannot drift.
 */
export function canonicalJobDocumentBytes(document: Record<string, unknown>): Buffer {
  const { signature: _ignored, ...unsigned } = document
  return Buffer.from(canonicalJson(unsigned), 'utf8')
}

// ---------------------------------------------------------------------------------------------------------
// The Jobs device MQTT API (AWS IoT developer guide, "Jobs device MQTT API operations"). Timestamps are
// seconds since the epoch, as IoT Core sends them. Requests may carry `thingName`/`jobId`: the AWS IoT Device
// SDK v2 serialises its whole request object, topic parameters included, and IoT Core accepts that.
// ---------------------------------------------------------------------------------------------------------

/** `statusDetails`: up to 10 name/value pairs of strings (UpdateJobExecution API reference). */
export const JobStatusDetails = Type.Record(Type.String({ minLength: 1, maxLength: 128 }), Type.String({ maxLength: 1024 }), {
  maxProperties: 10,
})
export type JobStatusDetails = Static<typeof JobStatusDetails>

const EpochS = Type.Number({ minimum: 0 })
const ClientToken = Type.String({ minLength: 1, maxLength: 64 })

/** `JobExecution` as the Jobs MQTT API returns it. */
export const JobExecutionData = Type.Object(
  {
    jobId: JobId,
    thingName: Type.Optional(DeviceId),
    jobDocument: Type.Optional(Type.Unknown()),
    status: JobExecutionStatus,
    statusDetails: Type.Optional(JobStatusDetails),
    queuedAt: Type.Optional(EpochS),
    startedAt: Type.Optional(EpochS),
    lastUpdatedAt: Type.Optional(EpochS),
    versionNumber: Type.Integer({ minimum: 1 }),
    executionNumber: Type.Optional(Type.Integer({ minimum: 1 })),
    approximateSecondsBeforeTimedOut: Type.Optional(Type.Number({ minimum: 0 })),
  },
  { $id: 'JobExecutionData' },
)
export type JobExecutionData = Static<typeof JobExecutionData>

/** `JobExecutionState`: what UpdateJobExecution and error responses carry. */
export const JobExecutionState = Type.Object(
  {
    status: JobExecutionStatus,
    statusDetails: Type.Optional(JobStatusDetails),
    versionNumber: Type.Integer({ minimum: 1 }),
  },
  { $id: 'JobExecutionState' },
)
export type JobExecutionState = Static<typeof JobExecutionState>

/** Published to `$aws/things/<thingName>/jobs/start-next`. */
export const StartNextPendingJobExecutionRequest = Type.Object(
  {
    thingName: Type.Optional(DeviceId),
    statusDetails: Type.Optional(JobStatusDetails),
    stepTimeoutInMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_080 })),
    clientToken: Type.Optional(ClientToken),
  },
  { $id: 'StartNextPendingJobExecutionRequest', additionalProperties: false },
)
export type StartNextPendingJobExecutionRequest = Static<typeof StartNextPendingJobExecutionRequest>

/** `.../start-next/accepted`; `execution` is absent when the thing has no pending job. */
export const StartNextPendingJobExecutionAccepted = Type.Object(
  { execution: Type.Optional(JobExecutionData), timestamp: EpochS, clientToken: Type.Optional(ClientToken) },
  { $id: 'StartNextPendingJobExecutionAccepted' },
)
export type StartNextPendingJobExecutionAccepted = Static<typeof StartNextPendingJobExecutionAccepted>

/** Published to `$aws/things/<thingName>/jobs/<jobId>/update`. */
export const UpdateJobExecutionRequest = Type.Object(
  {
    thingName: Type.Optional(DeviceId),
    jobId: Type.Optional(JobId),
    status: JobExecutionStatus,
    statusDetails: Type.Optional(JobStatusDetails),
    /** Optimistic lock: rejected with `VersionMismatch` unless it equals the execution's current versionNumber. */
    expectedVersion: Type.Optional(Type.Integer({ minimum: 0 })),
    executionNumber: Type.Optional(Type.Integer({ minimum: 1 })),
    includeJobExecutionState: Type.Optional(Type.Boolean()),
    includeJobDocument: Type.Optional(Type.Boolean()),
    stepTimeoutInMinutes: Type.Optional(Type.Integer({ minimum: -1, maximum: 10_080 })),
    clientToken: Type.Optional(ClientToken),
  },
  { $id: 'UpdateJobExecutionRequest', additionalProperties: false },
)
export type UpdateJobExecutionRequest = Static<typeof UpdateJobExecutionRequest>

/** `.../<jobId>/update/accepted`. */
export const UpdateJobExecutionAccepted = Type.Object(
  {
    executionState: Type.Optional(JobExecutionState),
    jobDocument: Type.Optional(Type.Unknown()),
    timestamp: EpochS,
    clientToken: Type.Optional(ClientToken),
  },
  { $id: 'UpdateJobExecutionAccepted' },
)
export type UpdateJobExecutionAccepted = Static<typeof UpdateJobExecutionAccepted>

export const JOBS_ERROR_CODES = [
  'InvalidTopic',
  'InvalidJson',
  'InvalidRequest',
  'InvalidStateTransition',
  'ResourceNotFound',
  'VersionMismatch',
  'InternalError',
  'RequestThrottled',
  'TerminalStateReached',
] as const
export type JobsErrorCode = (typeof JOBS_ERROR_CODES)[number]

/** `ErrorResponse` on every `.../rejected` topic. */
export const JobsRejectedResponse = Type.Object(
  {
    code: Type.Unsafe<JobsErrorCode>(Type.Union(JOBS_ERROR_CODES.map((c) => Type.Literal(c)))),
    message: Type.String(),
    timestamp: EpochS,
    clientToken: Type.Optional(ClientToken),
    executionState: Type.Optional(JobExecutionState),
  },
  { $id: 'JobsRejectedResponse' },
)
export type JobsRejectedResponse = Static<typeof JobsRejectedResponse>

/** `$aws/things/<thingName>/jobs/notify-next` (NextJobExecutionChanged); no `execution` once the queue is empty. */
export const NextJobExecutionChanged = Type.Object(
  { execution: Type.Optional(JobExecutionData), timestamp: EpochS },
  { $id: 'NextJobExecutionChanged' },
)
export type NextJobExecutionChanged = Static<typeof NextJobExecutionChanged>

// ---------------------------------------------------------------------------------------------------------
// Creating jobs (the JobsService port): the fields of the IoT CreateJob API that edgetwin uses.
// ---------------------------------------------------------------------------------------------------------

/** `jobExecutionsRolloutConfig` (CreateJob API reference). */
export const JobRolloutConfig = Type.Object(
  {
    maximumPerMinute: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    exponentialRate: Type.Optional(
      Type.Object(
        {
          baseRatePerMinute: Type.Integer({ minimum: 1, maximum: 1000 }),
          incrementFactor: Type.Number({ minimum: 1.1, maximum: 5 }),
          rateIncreaseCriteria: Type.Object(
            {
              numberOfNotifiedThings: Type.Optional(Type.Integer({ minimum: 1 })),
              numberOfSucceededThings: Type.Optional(Type.Integer({ minimum: 1 })),
            },
            { additionalProperties: false, minProperties: 1, maxProperties: 1 },
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { $id: 'JobRolloutConfig', additionalProperties: false },
)
export type JobRolloutConfig = Static<typeof JobRolloutConfig>

/** One `abortConfig.criteriaList` entry: abort once `thresholdPercentage` of at least `minNumberOfExecutedThings` failed. */
export const JobAbortCriteria = Type.Object(
  {
    failureType: Type.Union([Type.Literal('FAILED'), Type.Literal('REJECTED'), Type.Literal('TIMED_OUT'), Type.Literal('ALL')]),
    action: Type.Literal('CANCEL'),
    thresholdPercentage: Type.Number({ exclusiveMinimum: 0, maximum: 100 }),
    minNumberOfExecutedThings: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
)
export type JobAbortCriteria = Static<typeof JobAbortCriteria>

export const CreateJobInput = Type.Object(
  {
    jobId: JobId,
    /** Thing names; the AWS adapter turns them into thing ARNs. */
    targets: Type.Array(DeviceId, { minItems: 1, maxItems: 1000, uniqueItems: true }),
    document: Type.Record(Type.String(), Type.Unknown()),
    description: Type.Optional(Type.String({ maxLength: 2028 })),
    rollout: Type.Optional(JobRolloutConfig),
    abortConfig: Type.Optional(
      Type.Object({ criteriaList: Type.Array(JobAbortCriteria, { minItems: 1 }) }, { additionalProperties: false }),
    ),
    /** `timeoutConfig.inProgressTimeoutInMinutes`: an IN_PROGRESS execution not finished in time becomes TIMED_OUT. */
    inProgressTimeoutInMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_080 })),
  },
  { $id: 'CreateJobInput', additionalProperties: false },
)
export type CreateJobInput = Static<typeof CreateJobInput>
