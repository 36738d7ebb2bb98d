import Type, { type Static } from 'typebox'
import { StreamName } from './ids.js'

/**
 * SQL identifiers the gateway puts into generated SQL (quoted). Plain names only: a letter or underscore, then
 * letters, digits, underscores; an optional `schema.` prefix. Anything else is rejected at start.
 */
export const SQL_IDENTIFIER_PATTERN = '^[A-Za-z_][A-Za-z0-9_]{0,62}(\\.[A-Za-z_][A-Za-z0-9_]{0,62})?$'
const SqlIdentifier = Type.String({ pattern: SQL_IDENTIFIER_PATTERN })
const SqlColumn = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,62}$' })
const EnvName = Type.String({ pattern: '^[A-Z_][A-Z0-9_]*$' })
const SourceName = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' })
const MetricName = Type.String({ minLength: 1, maxLength: 128 })

/**
 * A credential reference. The secret itself never appears in a config file: it comes from an environment
 * variable or from a file only the agent's user may read (mode 0600 or 0400; group/other bits refused).
 */
export const SecretRef = Type.Object(
  {
    env: Type.Optional(EnvName),
    file: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false, minProperties: 1, maxProperties: 1 },
)
export type SecretRef = Static<typeof SecretRef>

/** The site's PostgreSQL database (the same one the results are written back to). */
export const GatewayDatabaseConfig = Type.Object(
  {
    host: Type.String({ minLength: 1, default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 1, maximum: 65_535, default: 5432 }),
    database: Type.String({ minLength: 1 }),
    user: Type.String({ minLength: 1 }),
    password: Type.Optional(SecretRef),
    /** Require TLS to the database (`sslmode=require`). */
    ssl: Type.Boolean({ default: false }),
    connectTimeoutMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 5000 }),
    /** PostgreSQL `statement_timeout` for every gateway query. */
    statementTimeoutMs: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 30_000 }),
  },
  { additionalProperties: false },
)
export type GatewayDatabaseConfig = Static<typeof GatewayDatabaseConfig>

/**
 * A table polled incrementally: rows whose watermark column is greater than the persisted watermark, in
 * watermark order, `batchSize` at a time. Use a unique, ever-growing column (a bigserial key or an insert
 * timestamp); each row yields one reading per metric column.
 */
export const PostgresSourceConfig = Type.Object(
  {
    name: SourceName,
    table: SqlIdentifier,
    watermark: Type.Object(
      {
        column: SqlColumn,
        type: Type.Union([Type.Literal('integer'), Type.Literal('timestamp')]),
        /** Start after this value on the very first poll (otherwise from the beginning of the table). */
        initial: Type.Optional(Type.String({ minLength: 1 })),
      },
      { additionalProperties: false },
    ),
    deviceColumn: SqlColumn,
    timeColumn: SqlColumn,
    metricColumns: Type.Array(SqlColumn, { minItems: 1, maxItems: 64, uniqueItems: true }),
    /** Extra SQL condition ANDed to the query (trusted configuration, not user input). */
    where: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    pollIntervalMs: Type.Integer({ minimum: 50, maximum: 3_600_000, default: 5000 }),
    batchSize: Type.Integer({ minimum: 1, maximum: 100_000, default: 1000 }),
  },
  { additionalProperties: false },
)
export type PostgresSourceConfig = Static<typeof PostgresSourceConfig>

/** JSON messages from plant devices on a site broker: `{ "<timeField>": ISO time, "<metric>": number, ... }`. */
export const SiteMqttSourceConfig = Type.Object(
  {
    name: SourceName,
    /** The site broker the plant devices publish to (MQTT 3.1.1 session, QoS 1). */
    url: Type.String({ pattern: '^(mqtt|mqtts|tcp|tls|ws|wss)://' }),
    username: Type.Optional(Type.String()),
    password: Type.Optional(SecretRef),
    clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    topics: Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), { minItems: 1, maxItems: 32 }),
    /** Topic level (0-based) holding the device id, e.g. 1 for `plant/<device>/telemetry`. */
    deviceIdLevel: Type.Integer({ minimum: 0, maximum: 32 }),
    /** Payload field with the sample time; messages without it use the time of arrival. */
    timeField: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    metrics: Type.Array(MetricName, { minItems: 1, maxItems: 64, uniqueItems: true }),
  },
  { additionalProperties: false },
)
export type SiteMqttSourceConfig = Static<typeof SiteMqttSourceConfig>

// Literal unions spelled out: Type.Union over a mapped array types as `never` in TypeBox 1.x.
export const AggregateStat = Type.Union([
  Type.Literal('count'),
  Type.Literal('mean'),
  Type.Literal('min'),
  Type.Literal('max'),
  Type.Literal('p95'),
])
export type AggregateStat = Static<typeof AggregateStat>

/** Raised on a closed window when `stat` of `metric` goes above `above` or below `below`. */
export const ThresholdAlarmConfig = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' }),
    metric: MetricName,
    stat: AggregateStat,
    above: Type.Optional(Type.Number()),
    below: Type.Optional(Type.Number()),
    severity: Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')], { default: 'warning' }),
  },
  { additionalProperties: false },
)
export type ThresholdAlarmConfig = Static<typeof ThresholdAlarmConfig>

export const GatewayProcessingConfig = Type.Object(
  {
    /** Tumbling event-time windows of this length, aligned to the Unix epoch. */
    windowS: Type.Integer({ minimum: 1, maximum: 86_400, default: 60 }),
    /**
     * A window closes once a reading this much later than its end has been seen (or the clock passed it). The
     * default tolerates ordinary clock skew between the gateway and the database host; rows later than this are
     * not dropped: the window is recomputed from the site table and a correction is written and sent.
     */
    allowedLatenessS: Type.Integer({ minimum: 0, maximum: 86_400, default: 30 }),
    /** Most readings kept per open window (p95 needs them all); later ones are counted as dropped. */
    maxReadingsPerWindow: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 100_000 }),
    alarms: Type.Array(ThresholdAlarmConfig, { default: [], maxItems: 256 }),
  },
  { additionalProperties: false, default: {} },
)
export type GatewayProcessingConfig = Static<typeof GatewayProcessingConfig>

/** Results written back to the site database, one row per (device, metric, window), upserted. */
export const GatewayResultsConfig = Type.Object(
  {
    table: Type.String({ pattern: SQL_IDENTIFIER_PATTERN, default: 'results_proc' }),
    /** `CREATE TABLE IF NOT EXISTS` at start; turn off where the site's DBA owns the schema. */
    createTable: Type.Boolean({ default: true }),
  },
  { additionalProperties: false, default: {} },
)
export type GatewayResultsConfig = Static<typeof GatewayResultsConfig>

/**
 * One stream that may leave the site and the record fields that may go with it. `data.<key>` names one key of
 * an event's `data`. Fields not listed are removed; streams not listed never reach the outbox.
 */
export const ResidencyRule = Type.Object(
  {
    stream: StreamName,
    fields: Type.Array(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9]*(\\.[A-Za-z0-9_:-]{1,64})?$' }), { minItems: 1, uniqueItems: true }),
  },
  { additionalProperties: false },
)
export type ResidencyRule = Static<typeof ResidencyRule>

export const ResidencyPolicy = Type.Object({ allow: Type.Array(ResidencyRule, { maxItems: 5 }) }, { additionalProperties: false })
export type ResidencyPolicy = Static<typeof ResidencyPolicy>

/** The gateway profile: site sources, processing on site, write-back, and what may leave the site. */
export const GatewayProfileConfig = Type.Object(
  {
    database: Type.Optional(GatewayDatabaseConfig),
    postgres: Type.Array(PostgresSourceConfig, { default: [], maxItems: 32 }),
    mqtt: Type.Array(SiteMqttSourceConfig, { default: [], maxItems: 32 }),
    processing: GatewayProcessingConfig,
    results: GatewayResultsConfig,
    residency: ResidencyPolicy,
    /**
     * Pseudonymous source ids: every `sourceId` (and the device named in an alarm event) that leaves the site is
     * replaced by `p-` + the first 24 hex digits of HMAC-SHA256(key, device id). Stable per device for as long as
     * the key stays the same; the site's own results table keeps the real ids. Without it, device ids leave the site.
     */
    pseudonymise: Type.Optional(Type.Object({ key: SecretRef }, { additionalProperties: false })),
    /** Delay before retrying a failed poll or write, doubled up to `maxRetryDelayMs`. */
    retryDelayMs: Type.Integer({ minimum: 10, maximum: 600_000, default: 1000 }),
    maxRetryDelayMs: Type.Integer({ minimum: 10, maximum: 3_600_000, default: 30_000 }),
  },
  { $id: 'GatewayProfileConfig', additionalProperties: false },
)
export type GatewayProfileConfig = Static<typeof GatewayProfileConfig>
