import Type, { type Static } from 'typebox'
import { CloudFleetConfig } from './config-cloud-fleet.js'
import { CloudJobsConfig } from './config-cloud-jobs.js'
import { CloudTwinConfig } from './config-cloud-twin.js'
import { LogLevel } from './ids.js'

export const CloudConfig = Type.Object(
  {
    dataDir: Type.String({ minLength: 1, default: './.edgetwin/cloud' }),
    broker: Type.Object(
      {
        url: Type.String({ pattern: '^(mqtt|mqtts|tcp|tls|ws|wss)://', default: 'mqtt://127.0.0.1:1883' }),
        protocolVersion: Type.Union([Type.Literal(4), Type.Literal(5)], {
          default: 4,
          description: '4 is MQTT 3.1.1 (the embedded aedes broker speaks only 3.1.1); 5 is MQTT 5',
        }),
        clientId: Type.String({ minLength: 1, maxLength: 128, default: 'edgetwin-cloud-router' }),
      },
      { additionalProperties: false, default: {} },
    ),
    router: Type.Object(
      {
        /** AWS IoT Core's message size limit. */
        maxPayloadBytes: Type.Integer({ minimum: 1024, default: 128 * 1024 }),
        maxInflatedBytes: Type.Integer({ minimum: 1024, default: 8 * 1024 * 1024 }),
      },
      { additionalProperties: false, default: {} },
    ),
    tracker: Type.Object(
      {
        adapter: Type.Union([Type.Literal('local'), Type.Literal('aws')], { default: 'local' }),
        trackerName: Type.String({ minLength: 1, maxLength: 100, default: 'edgetwin-tracker' }),
        distanceFilterM: Type.Number({ minimum: 0, default: 30 }),
      },
      { additionalProperties: false, default: {} },
    ),
    timeSeries: Type.Object(
      {
        adapter: Type.Union([Type.Literal('sqlite'), Type.Literal('influxdb'), Type.Literal('timestream')], { default: 'sqlite' }),
        influx: Type.Optional(
          Type.Object(
            {
              url: Type.String({ pattern: '^https?://' }),
              apiVersion: Type.Union([Type.Literal(1), Type.Literal(2)], { default: 2 }),
              database: Type.Optional(Type.String()),
              org: Type.Optional(Type.String()),
              bucket: Type.Optional(Type.String()),
              tokenEnv: Type.Optional(Type.String({ pattern: '^[A-Z_][A-Z0-9_]*$' })),
            },
            { additionalProperties: false },
          ),
        ),
        timestream: Type.Optional(
          Type.Object({ database: Type.String({ minLength: 1 }), table: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    archive: Type.Object(
      {
        adapter: Type.Union([Type.Literal('local'), Type.Literal('firehose')], { default: 'local' }),
        prefix: Type.String({ default: 'archive' }),
        /** Firehose buffering hints: 1-128 MiB, 0-900 s. */
        bufferSizeMiB: Type.Number({ minimum: 1, maximum: 128, default: 5 }),
        bufferIntervalS: Type.Number({ minimum: 0, maximum: 900, default: 300 }),
        deliveryStreamName: Type.Optional(Type.String({ minLength: 1 })),
      },
      { additionalProperties: false, default: {} },
    ),
    /** The local event bus's delivery to its targets (enrichment, archive), as an EventBridge target RetryPolicy. */
    events: Type.Object(
      {
        /** EventBridge MaximumRetryAttempts (0-185). */
        maximumRetryAttempts: Type.Integer({ minimum: 0, maximum: 185, default: 185 }),
        /** EventBridge MaximumEventAgeInSeconds (60-86,400). */
        maximumEventAgeS: Type.Integer({ minimum: 60, maximum: 86_400, default: 86_400 }),
        /** First retry after about this long, doubling per attempt (full jitter). */
        retryBaseDelayMs: Type.Integer({ minimum: 1, maximum: 3_600_000, default: 1000 }),
        retryMaxDelayMs: Type.Integer({ minimum: 1, maximum: 3_600_000, default: 300_000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    fleet: CloudFleetConfig,
    jobs: CloudJobsConfig,
    twin: CloudTwinConfig,
    awsRegion: Type.Optional(Type.String({ minLength: 1 })),
    logLevel: LogLevel,
  },
  { $id: 'CloudConfig', additionalProperties: false },
)
export type CloudConfig = Static<typeof CloudConfig>

/**
 * The router Lambda's environment (set by the CDK stack), validated once per cold start. Secrets are not here:
 * an InfluxDB token is read from Secrets Manager by ARN.
 */
export const RouterLambdaEnv = Type.Object(
  {
    TRACKER_NAME: Type.String({ minLength: 1, maxLength: 100 }),
    TIMESERIES_ADAPTER: Type.Union([Type.Literal('timestream'), Type.Literal('influxdb')], { default: 'timestream' }),
    TIMESTREAM_DATABASE: Type.Optional(Type.String({ minLength: 1 })),
    TIMESTREAM_TABLE: Type.Optional(Type.String({ minLength: 1 })),
    INFLUX_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
    INFLUX_BUCKET: Type.Optional(Type.String({ minLength: 1 })),
    INFLUX_ORG: Type.Optional(Type.String({ minLength: 1 })),
    /** At most one of these two: a token value (local runs), or the ARN of a secret holding the token or Timestream for InfluxDB's auth JSON. */
    INFLUX_TOKEN: Type.Optional(Type.String({ minLength: 1 })),
    INFLUX_TOKEN_SECRET_ARN: Type.Optional(Type.String({ minLength: 1 })),
    DELIVERY_STREAM_NAME: Type.String({ minLength: 1 }),
    HWM_TABLE_NAME: Type.String({ minLength: 1 }),
    DEVICE_STATUS_TABLE_NAME: Type.String({ minLength: 1 }),
    DEAD_LETTER_BUCKET: Type.String({ minLength: 3 }),
    DEAD_LETTER_PREFIX: Type.String({ default: 'dead-letters' }),
    LOG_LEVEL: LogLevel,
  },
  // Lambda adds its own variables (AWS_REGION, …), so unknown keys are allowed and ignored.
  { $id: 'RouterLambdaEnv', additionalProperties: true },
)
export type RouterLambdaEnv = Static<typeof RouterLambdaEnv>
