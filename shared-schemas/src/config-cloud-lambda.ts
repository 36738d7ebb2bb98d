import Type, { type Static, type TSchema } from 'typebox'
import { Value } from 'typebox/value'
import { parseConfig } from './config.js'
import type { Validator } from './validate.js'

const LogLevel = Type.Union(
  ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
  { default: 'info' },
)
const Url = Type.String({ pattern: '^https?://' })

/**
 * The AWS SDK's own endpoint variables (AWS SDKs and Tools reference, "Service-specific endpoints"): unset on
 * Lambda; set for a VPC endpoint or a local test server. Read through the config loader, never by the handlers.
 */
const EndpointOverrides = {
  AWS_ENDPOINT_URL: Type.Optional(Url),
  AWS_ENDPOINT_URL_S3: Type.Optional(Url),
  AWS_ENDPOINT_URL_DYNAMODB: Type.Optional(Url),
  AWS_ENDPOINT_URL_SNS: Type.Optional(Url),
  AWS_ENDPOINT_URL_IOT: Type.Optional(Url),
  AWS_ENDPOINT_URL_TIMESTREAM_QUERY: Type.Optional(Url),
  AWS_ENDPOINT_URL_SECRETS_MANAGER: Type.Optional(Url),
  AWS_ENDPOINT_URL_KMS: Type.Optional(Url),
}

/** The enrichment Lambda's environment (EventBridge rule target with the reference input transformer). */
export const EnrichmentLambdaEnv = Type.Object(
  {
    MAINTENANCE_TABLE_NAME: Type.String({ minLength: 3, maxLength: 255 }),
    /** Maintenance records change rarely; every position event needs one. 0 disables the cache. */
    MAINTENANCE_CACHE_TTL_MS: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 60_000 }),
    OBJECTS_BUCKET: Type.String({ minLength: 3, maxLength: 63 }),
    OBJECTS_PREFIX: Type.String({ pattern: '^[a-zA-Z0-9_.-]+(/[a-zA-Z0-9_.-]+)*$', default: 'enriched' }),
    LOG_LEVEL: LogLevel,
    ...EndpointOverrides,
  },
  // Lambda adds its own variables (AWS_REGION, …), so unknown keys are allowed and ignored.
  { $id: 'EnrichmentLambdaEnv', additionalProperties: true },
)
export type EnrichmentLambdaEnv = Static<typeof EnrichmentLambdaEnv>

/**
 * The scheduled twin detector's environment. The schedule is the EventBridge rule's; the twin configuration is
 * CloudTwinConfig's defaults, overridden by TWIN_CONFIG_JSON (validated by that schema). The dispatch bearer token
 * comes from exactly one of DISPATCH_TOKEN (a value, for local runs) and DISPATCH_TOKEN_SECRET_ARN (the stack: the
 * handler reads the secret with GetSecretValue once per execution environment); InfluxDB credentials likewise from
 * at most one of INFLUX_TOKEN and INFLUX_TOKEN_SECRET_ARN (a token, or Timestream for InfluxDB's auth secret JSON).
 * The builder refuses both or (for the dispatch token) neither, with CLOUD_CONFIG_INVALID.
 */
export const TwinDetectorLambdaEnv = Type.Object(
  {
    /** Set by Lambda itself. */
    AWS_REGION: Type.String({ minLength: 1 }),
    TIMESERIES_ADAPTER: Type.Union([Type.Literal('timestream'), Type.Literal('influxdb')], { default: 'timestream' }),
    TIMESTREAM_DATABASE: Type.Optional(Type.String({ minLength: 1 })),
    TIMESTREAM_TABLE: Type.Optional(Type.String({ minLength: 1 })),
    INFLUX_URL: Type.Optional(Url),
    INFLUX_BUCKET: Type.Optional(Type.String({ minLength: 1 })),
    INFLUX_ORG: Type.Optional(Type.String({ minLength: 1 })),
    INFLUX_TOKEN: Type.Optional(Type.String({ minLength: 1 })),
    /** ARN (or name) of a secret holding the InfluxDB token or username/password JSON. */
    INFLUX_TOKEN_SECRET_ARN: Type.Optional(Type.String({ minLength: 1 })),
    DISPATCH_URL: Url,
    DISPATCH_TOKEN: Type.Optional(Type.String({ minLength: 1 })),
    /** ARN (or name) of the secret whose SecretString is the dispatch bearer token. */
    DISPATCH_TOKEN_SECRET_ARN: Type.Optional(Type.String({ minLength: 1 })),
    TOPIC_ARN: Type.String({ pattern: '^arn:aws[a-z-]*:sns:' }),
    DECISIONS_BUCKET: Type.String({ minLength: 3, maxLength: 63 }),
    DECISIONS_PREFIX: Type.String({ pattern: '^[a-zA-Z0-9_.-]+(/[a-zA-Z0-9_.-]+)*$', default: 'twin-decisions' }),
    /** Owner of the things that jobs target; taken from the function's ARN when absent. */
    AWS_ACCOUNT_ID: Type.Optional(Type.String({ pattern: '^[0-9]{12}$' })),
    TWIN_CONFIG_JSON: Type.Optional(Type.String({ minLength: 2 })),
    /** KMS key (ARN, id or alias) of spec ECC_NIST_P256 that signs every job document (ECDSA_SHA_256); unsigned when absent. */
    JOB_SIGNING_KEY_ARN: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    /** How long a signed job document stays valid after it is created (the agent refuses it afterwards). */
    JOB_SIGNATURE_VALIDITY_S: Type.Integer({ minimum: 60, maximum: 2_592_000, default: 86_400 }),
    LOG_LEVEL: LogLevel,
    ...EndpointOverrides,
  },
  { $id: 'TwinDetectorLambdaEnv', additionalProperties: true },
)
export type TwinDetectorLambdaEnv = Static<typeof TwinDetectorLambdaEnv>

/** The simulation post-processor's environment (S3 ObjectCreated on `*.out` under the results prefix). */
export const TwinPostProcessorLambdaEnv = Type.Object(
  {
    /** Over-speed threshold the exceedances are counted against. @default the controller's alarm threshold */
    OVERSPEED_GENERATOR_RPM: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    /** Torque limit for torque-limit episodes. @default the controller's maximum generator torque */
    MAX_GENERATOR_TORQUE_NM: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    LOG_LEVEL: LogLevel,
    ...EndpointOverrides,
  },
  { $id: 'TwinPostProcessorLambdaEnv', additionalProperties: true },
)
export type TwinPostProcessorLambdaEnv = Static<typeof TwinPostProcessorLambdaEnv>

/**
 * Reads a Lambda environment: every value arrives as a string, so numbers are converted where the schema wants
 * one ("60000" → 60000), then defaults are filled and the whole is validated and frozen (parseConfig).
 */
export function parseLambdaEnv<T extends TSchema>(
  validator: Validator<T>,
  env: Readonly<Record<string, string | undefined>>,
): Readonly<Static<T>> {
  const defined = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''))
  return parseConfig(validator, Value.Convert(validator.schema, defined))
}
