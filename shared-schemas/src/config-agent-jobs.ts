import Type, { type Static } from 'typebox'
import { CONTROLLER_PARAMETER_DEFAULTS, ControllerParameters } from './controller.js'

/** Allowed values of one controller parameter and how far a single update may move it. */
export const ParameterEnvelope = Type.Object(
  {
    min: Type.Number(),
    max: Type.Number(),
    /** Largest allowed |new - current| as a fraction of |current| (0.1 = 10 %). */
    maxChangeFraction: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 10 })),
    /** Largest allowed |new - current| in the parameter's own unit. */
    maxChangeAbs: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  },
  { additionalProperties: false },
)
export type ParameterEnvelope = Static<typeof ParameterEnvelope>

const d = CONTROLLER_PARAMETER_DEFAULTS
const around = (value: number, lowFactor: number, highFactor: number) => ({ min: value * lowFactor, max: value * highFactor })

/** A conservative default envelope around the NREL 5-MW baseline: ±20 % per update, hard bounds per parameter. */
export const DEFAULT_SAFETY_ENVELOPE = {
  ratedGeneratorSpeedRpm: around(d.ratedGeneratorSpeedRpm, 0.9, 1.0),
  pitchProportionalGainS: { ...around(d.pitchProportionalGainS, 0.25, 3), maxChangeFraction: 0.5 },
  pitchIntegralGain: { ...around(d.pitchIntegralGain, 0.25, 3), maxChangeFraction: 0.5 },
  region2TorqueGainNmPerRpm2: around(d.region2TorqueGainNmPerRpm2, 0.8, 1.2),
  maxGeneratorTorqueNm: around(d.maxGeneratorTorqueNm, 0.8, 1.05),
  overspeedAlarmGeneratorSpeedRpm: around(d.overspeedAlarmGeneratorSpeedRpm, 0.95, 1.1),
  maxPitchRateDegPerS: around(d.maxPitchRateDegPerS, 0.25, 1),
}

/** The agent's jobs client and controller-update safety envelope. Present only on agents that take jobs. */
export const AgentJobsConfig = Type.Object(
  {
    /** IoT thing name used in the `$aws/things/<thingName>/jobs/...` topics; defaults to the device id. */
    thingName: Type.Optional(Type.String({ pattern: '^[a-zA-Z0-9:_-]{1,128}$' })),
    /** Parameters in force before the first update (the store keeps its own afterwards). */
    initialParameters: Type.Optional(ControllerParameters),
    /** Bounds per parameter; a parameter without an entry can never be changed by a job. */
    envelope: Type.Record(Type.String(), ParameterEnvelope, { default: DEFAULT_SAFETY_ENVELOPE }),
    /** Applied to parameters whose envelope entry has neither `maxChangeFraction` nor `maxChangeAbs`. */
    maxChangeFraction: Type.Number({ exclusiveMinimum: 0, maximum: 10, default: 0.2 }),
    /**
     * Pinned public key (SPKI PEM) that signs job documents: Ed25519, or ECDSA P-256 (an AWS KMS `ECC_NIST_P256`
     * key's GetPublicKey output, DER SPKI, wrapped as PEM).
     */
    publicKeyPem: Type.Optional(Type.String({ minLength: 40 })),
    /** Thing groups this device belongs to: a signed document bound to one of them may run here. */
    thingGroups: Type.Optional(Type.Array(Type.String({ pattern: '^[a-zA-Z0-9:_-]{1,128}$' }), { maxItems: 100, uniqueItems: true })),
    /** Tolerated clock skew when checking a signed document's expiry. */
    clockSkewS: Type.Integer({ minimum: 0, maximum: 3600, default: 300 }),
    /** Refuse unsigned documents. Requires `publicKeyPem`. */
    requireSignature: Type.Boolean({ default: false }),
    healthGate: Type.Object(
      {
        /** Telemetry observed after an update before it is declared SUCCEEDED (sample time). */
        windowS: Type.Number({ exclusiveMinimum: 0, maximum: 86_400, default: 600 }),
        /** Cap on a job document's own `healthGate.windowS`. */
        maxWindowS: Type.Number({ exclusiveMinimum: 0, maximum: 86_400, default: 3600 }),
        /** Samples needed in the window; fewer means the update cannot be judged and is rolled back. */
        minSamples: Type.Integer({ minimum: 1, default: 10 }),
        /** Allowed increase of the fraction of samples carrying any alarm, against the window before the update. */
        alarmRateTolerance: Type.Number({ minimum: 0, maximum: 1, default: 0 }),
        /** Wall-clock limit for the window to fill, as a multiple of windowS, before giving up (no telemetry). */
        wallClockFactor: Type.Number({ minimum: 1, default: 3 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Wait for a Jobs API reply before retrying a request. */
    requestTimeoutMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 10_000 }),
  },
  // No default: only agents whose config has a `jobs` section take jobs (a vehicle must not start a jobs client).
  { $id: 'AgentJobsConfig', additionalProperties: false },
)
export type AgentJobsConfig = Static<typeof AgentJobsConfig>
