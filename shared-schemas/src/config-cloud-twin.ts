import Type, { type Static } from 'typebox'
import { DEFAULT_SAFETY_ENVELOPE, ParameterEnvelope } from './config-agent-jobs.js'
import { ControllerParameterPatch } from './controller.js'

const ScaleFactors = Type.Record(Type.String({ pattern: '^[a-zA-Z0-9]+$' }), Type.Number({ exclusiveMinimum: 0, maximum: 10 }))

/** A candidate controller change the twin simulates: factors on the parameters in force, or absolute values. */
export const TwinCandidateSpec = Type.Object(
  {
    name: Type.String({ pattern: '^[a-zA-Z0-9._-]{1,64}$' }),
    scale: Type.Optional(ScaleFactors),
    set: Type.Optional(ControllerParameterPatch),
  },
  { additionalProperties: false },
)
export type TwinCandidateSpec = Static<typeof TwinCandidateSpec>

/** The digital-twin loop: detector thresholds, dispatch server, candidates, decision rule, rollout. */
export const CloudTwinConfig = Type.Object(
  {
    enabled: Type.Boolean({ default: false }),
    /** node-cron expression evaluated against the (possibly virtual) clock. */
    schedule: Type.String({ minLength: 9, default: '*/10 * * * *' }),
    windowMinutes: Type.Integer({ minimum: 1, maximum: 1440, default: 10 }),
    detector: Type.Object(
      {
        overspeedEpisodesPerWindow: Type.Integer({ minimum: 1, default: 1 }),
        maxRotorSpeedRpm: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
        minPowerRatio: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
        minSamples: Type.Integer({ minimum: 1, default: 60 }),
        /** After a decision, a turbine is not judged again for this long (virtual time). */
        cooldownMinutes: Type.Integer({ minimum: 0, default: 30 }),
      },
      { additionalProperties: false, default: {} },
    ),
    dispatch: Type.Object(
      {
        url: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:8080' }),
        /** Environment variable that holds the dispatch server's bearer token. */
        tokenEnv: Type.String({ pattern: '^[A-Z_][A-Z0-9_]*$', default: 'EDGETWIN_DISPATCH_TOKEN' }),
        engine: Type.Union([Type.Literal('rotor-model'), Type.Literal('openfast')], { default: 'rotor-model' }),
        seeds: Type.Array(Type.Integer({ minimum: 0 }), { minItems: 1, maxItems: 20, default: [1, 2, 3] }),
        durationS: Type.Number({ exclusiveMinimum: 0, maximum: 7200, default: 600 }),
        /**
         * Solver time step sent with every run (s). Absent: the engine's own default, stated in the request and the
         * provenance all the same (rotor-model 0.01 s; the shipped OpenFAST deck's DT, 0.00625 s).
         */
        dtS: Type.Optional(Type.Number({ minimum: 0.001, maximum: 0.1 })),
        /** Output time step sent with every run (s); the post-processing reads the `.out` at this step. */
        outputDtS: Type.Number({ minimum: 0.001, maximum: 10, default: 0.05 }),
        maxConcurrent: Type.Integer({ minimum: 1, maximum: 64, default: 4 }),
        pollIntervalMs: Type.Integer({ minimum: 10, default: 500 }),
        /** Whole run, first submission to results, retries of 429/503 answers included. */
        runTimeoutMs: Type.Integer({ minimum: 1000, default: 600_000 }),
        /**
         * 429 and 503 answers are retried: after `Retry-After` when the server sends one, otherwise after a capped
         * exponential backoff with full jitter starting at `retryBaseDelayMs`.
         */
        retryBaseDelayMs: Type.Integer({ minimum: 1, maximum: 60_000, default: 250 }),
        retryMaxDelayMs: Type.Integer({ minimum: 1, maximum: 600_000, default: 10_000 }),
        /** Copy each finished simulation's results to the dispatch server's object store (POST /upload_to_s3). */
        uploadResults: Type.Boolean({ default: true }),
      },
      { additionalProperties: false, default: {} },
    ),
    candidates: Type.Array(TwinCandidateSpec, {
      default: [
        { name: 'pitch-gains-x1.25', scale: { pitchProportionalGainS: 1.25, pitchIntegralGain: 1.25 } },
        { name: 'pitch-gains-x1.5', scale: { pitchProportionalGainS: 1.5, pitchIntegralGain: 1.5 } },
        {
          name: 'rated-speed-0.97-gains-x1.5-torque-x1.05',
          scale: { ratedGeneratorSpeedRpm: 0.97, pitchProportionalGainS: 1.5, pitchIntegralGain: 1.5, maxGeneratorTorqueNm: 1.05 },
        },
        {
          name: 'rated-speed-0.95-gains-x1.5-torque-x1.05',
          scale: { ratedGeneratorSpeedRpm: 0.95, pitchProportionalGainS: 1.5, pitchIntegralGain: 1.5, maxGeneratorTorqueNm: 1.05 },
        },
      ],
    }),
    /** The agents' safety envelope; candidates outside it are never simulated or sent. */
    envelope: Type.Record(Type.String(), ParameterEnvelope, { default: DEFAULT_SAFETY_ENVELOPE }),
    maxChangeFraction: Type.Number({ exclusiveMinimum: 0, maximum: 10, default: 0.2 }),
    decision: Type.Object(
      { maxPowerLossFraction: Type.Number({ minimum: 0, maximum: 1, default: 0.05 }) },
      { additionalProperties: false, default: {} },
    ),
    /**
     * Sign the twin's controller-update jobs with a local key (PKCS#8 PEM, Ed25519 or ECDSA P-256, mode 0600), so
     * turbines with `jobs.requireSignature` accept them; each signature is bound to its job, targets and expiry.
     * On AWS the detector signs with a KMS key instead (JOB_SIGNING_KEY_ARN). Absent: jobs are unsigned.
     */
    jobSigning: Type.Optional(
      Type.Object(
        {
          privateKeyFile: Type.String({ minLength: 1 }),
          /** Seconds a signed document stays valid after it was created. */
          validityS: Type.Integer({ minimum: 60, maximum: 30 * 86_400, default: 86_400 }),
        },
        { additionalProperties: false },
      ),
    ),
    rollout: Type.Object(
      {
        /** Turbines that receive the update after the canary (the anomalous turbine) succeeds. */
        group: Type.Array(Type.String({ pattern: '^[a-zA-Z0-9:_-]{1,128}$' }), { default: [] }),
        /** Abort the job when this percentage of executions fail, after `abortMinExecutions`. */
        abortFailurePercent: Type.Number({ minimum: 0, maximum: 100, default: 50 }),
        abortMinExecutions: Type.Integer({ minimum: 1, default: 1 }),
        inProgressTimeoutMinutes: Type.Integer({ minimum: 1, maximum: 10_080, default: 60 }),
      },
      { additionalProperties: false, default: {} },
    ),
    notifier: Type.Object(
      {
        type: Type.Union([Type.Literal('log'), Type.Literal('webhook'), Type.Literal('sns')], { default: 'log' }),
        url: Type.Optional(Type.String({ pattern: '^https?://' })),
        topicArn: Type.Optional(Type.String({ pattern: '^arn:aws' })),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { $id: 'CloudTwinConfig', additionalProperties: false, default: {} },
)
export type CloudTwinConfig = Static<typeof CloudTwinConfig>
