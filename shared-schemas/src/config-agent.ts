import Type, { type Static } from 'typebox'
import { GatewayProfileConfig } from './config-agent-gateway.js'
import { AgentJobsConfig } from './config-agent-jobs.js'
import { DeviceId, DeviceKind, LogLevel } from './ids.js'

export const TlsConfig = Type.Object(
  {
    caFile: Type.String({ minLength: 1 }),
    certFile: Type.Optional(Type.String({ minLength: 1 })),
    keyFile: Type.Optional(Type.String({ minLength: 1 })),
    /** Expected server name; defaults to the broker URL's host. */
    serverName: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
)
export type TlsConfig = Static<typeof TlsConfig>

const EnvName = Type.String({ pattern: '^[A-Z_][A-Z0-9_]*$' })

/** How the AWS IoT Device SDK v2 transport authenticates (`broker.transport: 'aws-iot-sdk'` only). */
export const AwsIotSdkConfig = Type.Object(
  {
    /**
     * mtls: certificate and key files (broker.tls). pkcs11: the key stays in a PKCS#11 token (HSM, TPM, SoftHSM),
     * the certificate is broker.tls.certFile. websocket-sigv4: wss:// signed with SigV4 from the default AWS
     * credential chain. custom-authorizer: an IoT Core custom authorizer (broker.username, broker.passwordEnv).
     */
    auth: Type.Union([Type.Literal('mtls'), Type.Literal('pkcs11'), Type.Literal('websocket-sigv4'), Type.Literal('custom-authorizer')], {
      default: 'mtls',
    }),
    pkcs11: Type.Optional(
      Type.Object(
        {
          /** The PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so. */
          libraryFile: Type.String({ minLength: 1 }),
          slotId: Type.Optional(Type.Integer({ minimum: 0 })),
          tokenLabel: Type.Optional(Type.String({ minLength: 1 })),
          /** Environment variable holding the user PIN; absent means a protected authentication path. */
          pinEnv: Type.Optional(EnvName),
          /** Label of the private key object on the token. */
          keyLabel: Type.Optional(Type.String({ minLength: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    /** SigV4 signing region; by default taken from the endpoint name (xxx-ats.iot.REGION.amazonaws.com). */
    region: Type.Optional(Type.String({ pattern: '^[a-z]{2}(-[a-z]+)+-[0-9]+$' })),
    customAuthorizer: Type.Optional(
      Type.Object(
        {
          name: Type.String({ minLength: 1, maxLength: 128 }),
          /** Signed-token authorizers: the token's query-string key and the env variables of token and signature. */
          tokenKeyName: Type.Optional(Type.String({ minLength: 1 })),
          tokenValueEnv: Type.Optional(EnvName),
          tokenSignatureEnv: Type.Optional(EnvName),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
)
export type AwsIotSdkConfig = Static<typeof AwsIotSdkConfig>

export const BrokerConfig = Type.Object(
  {
    url: Type.String({ pattern: '^(mqtt|mqtts|tcp|tls|ws|wss)://', default: 'mqtt://127.0.0.1:1883' }),
    protocolVersion: Type.Union([Type.Literal(4), Type.Literal(5)], {
      default: 4,
      description: '4 is MQTT 3.1.1 (the embedded aedes broker speaks only 3.1.1); 5 is MQTT 5',
    }),
    clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    keepaliveS: Type.Integer({ minimum: 5, maximum: 1200, default: 30 }),
    username: Type.Optional(Type.String()),
    /** Name of the environment variable holding the password; never the password itself. */
    passwordEnv: Type.Optional(Type.String({ pattern: '^[A-Z_][A-Z0-9_]*$' })),
    tls: Type.Optional(TlsConfig),
    /**
     * Which MQTT client carries the session: MQTT.js (the default), or the AWS IoT Device SDK v2's MQTT 5 client
     * (aws-crt; an optional dependency of the agent, loaded only when chosen; needs protocolVersion 5).
     */
    transport: Type.Union([Type.Literal('mqttjs'), Type.Literal('aws-iot-sdk')], { default: 'mqttjs' }),
    awsIotSdk: Type.Optional(AwsIotSdkConfig),
  },
  { additionalProperties: false, default: {} },
)

export const OutboxConfig = Type.Object(
  {
    /** FULL survives power loss; NORMAL survives process crashes only (SQLite WAL documentation). */
    synchronous: Type.Union([Type.Literal('FULL'), Type.Literal('NORMAL')], { default: 'FULL' }),
    maxBytes: Type.Integer({ minimum: 1024, default: 256 * 1024 * 1024 }),
    maxAgeS: Type.Optional(Type.Integer({ minimum: 1 })),
    eviction: Type.Union([Type.Literal('drop-oldest'), Type.Literal('reject-new')], { default: 'drop-oldest' }),
    /** Streams in eviction order, first evicted first. */
    evictionOrder: Type.Array(Type.String(), { default: ['metrics', 'position', 'aggregate', 'health', 'events'] }),
    groupCommitMaxRecords: Type.Integer({ minimum: 1, maximum: 100_000, default: 4000 }),
    groupCommitMaxDelayMs: Type.Integer({ minimum: 0, maximum: 1000, default: 5 }),
    maxRecordBytes: Type.Integer({ minimum: 64, default: 64 * 1024 }),
  },
  { additionalProperties: false, default: {} },
)

export const PublishConfig = Type.Object(
  {
    maxRecordsPerBatch: Type.Integer({ minimum: 1, maximum: 10_000, default: 500 }),
    /** Below AWS IoT Core's 128 KB message limit. */
    maxBatchBytes: Type.Integer({ minimum: 256, maximum: 128 * 1024, default: 120 * 1024 }),
    compression: Type.Union([Type.Literal('gzip'), Type.Literal('none')], { default: 'gzip' }),
    /** AWS IoT Core allows 100 unacknowledged QoS 1 messages per connection. */
    inflightWindow: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    /** AWS IoT Core allows 100 publishes per second per connection; unset means unlimited. */
    maxPublishesPerSecond: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    /** Attempts before a batch the broker refuses is quarantined. */
    maxRefusals: Type.Integer({ minimum: 1, maximum: 100, default: 3 }),
    /** A connection whose broker leaves a QoS 1 PUBLISH unacknowledged this long is dropped and re-established. */
    ackTimeoutMs: Type.Integer({ minimum: 100, default: 60_000 }),
    /**
     * A stream the broker refuses by closing the connection (MQTT 3.1.1 ACL denial, Mosquitto 2) is held back this
     * long after a batch of it is quarantined, doubling on each repeat up to 1 h, so it cannot starve the others.
     */
    refusedStreamHoldS: Type.Number({ exclusiveMinimum: 0, default: 30 }),
  },
  { additionalProperties: false, default: {} },
)

export const ReconnectConfig = Type.Object(
  {
    initialDelayMs: Type.Integer({ minimum: 10, default: 1000 }),
    maxDelayMs: Type.Integer({ minimum: 10, default: 60_000 }),
    /** The backoff resets only after the connection has stayed up this long. */
    stableAfterMs: Type.Integer({ minimum: 0, default: 30_000 }),
  },
  { additionalProperties: false, default: {} },
)

export const VehicleProfileConfig = Type.Object(
  {
    /** Amazon Location DistanceBased filtering: keep a position only if it moved more than this. */
    distanceFilterM: Type.Number({ minimum: 0, default: 30 }),
    minIntervalS: Type.Number({ minimum: 0, default: 0 }),
  },
  { additionalProperties: false, default: {} },
)

/**
 * The jobs section without its schema-level `default: {}`: parseConfig fills defaults of optional properties,
 * so keeping it would switch the jobs client on for every agent. Absent means "this agent takes no jobs".
 */
const OptionalAgentJobsConfig = Type.Object(AgentJobsConfig.properties, { additionalProperties: false })

export const AgentConfig = Type.Object(
  {
    deviceId: DeviceId,
    kind: DeviceKind,
    dataDir: Type.String({ minLength: 1, default: './.edgetwin/agent' }),
    broker: BrokerConfig,
    outbox: OutboxConfig,
    publish: PublishConfig,
    reconnect: ReconnectConfig,
    healthIntervalS: Type.Number({ minimum: 0, default: 60 }),
    logLevel: LogLevel,
    /** NDJSON source: a file path or `-` for stdin; one `{"stream","record"}` per line. */
    source: Type.Optional(Type.Object({ ndjson: Type.String({ minLength: 1 }) }, { additionalProperties: false })),
    vehicle: Type.Optional(VehicleProfileConfig),
    jobs: Type.Optional(OptionalAgentJobsConfig),
    gateway: Type.Optional(GatewayProfileConfig),
  },
  { $id: 'AgentConfig', additionalProperties: false },
)
export type AgentConfig = Static<typeof AgentConfig>
