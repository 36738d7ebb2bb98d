import Type, { type Static } from 'typebox'
import { ControllerParameterPatch } from './controller.js'

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
export const JobExecutionStatus = Type.Union(JOB_EXECUTION_STATUSES.map((s) => Type.Literal(s)))
export type JobExecutionStatus = Static<typeof JobExecutionStatus>

/** Detached Ed25519 signature over the canonical JSON of the document without its `signature` field. */
export const JobSignature = Type.Object(
  {
    algorithm: Type.Literal('Ed25519'),
    keyId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    value: Type.String({ minLength: 1, maxLength: 256, pattern: '^[A-Za-z0-9+/]+={0,2}$' }),
  },
  { additionalProperties: false },
)
export type JobSignature = Static<typeof JobSignature>

/** The IoT job document that changes a turbine's controller. */
export const ControllerUpdateJobDocument = Type.Object(
  {
    operation: Type.Literal('controller-update'),
    /** Must increase from one applied update to the next, so that a replayed old document is refused. */
    version: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    parameters: ControllerParameterPatch,
    reason: Type.Optional(Type.String({ maxLength: 1024 })),
    decisionId: Type.Optional(Type.String({ maxLength: 128 })),
    healthGate: Type.Optional(Type.Object({ windowS: Type.Integer({ minimum: 1, maximum: 86_400 }) }, { additionalProperties: false })),
    signature: Type.Optional(JobSignature),
  },
  { $id: 'ControllerUpdateJobDocument', additionalProperties: false },
)
export type ControllerUpdateJobDocument = Static<typeof ControllerUpdateJobDocument>
