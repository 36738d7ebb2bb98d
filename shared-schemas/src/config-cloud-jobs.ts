import Type, { type Static } from 'typebox'

/** The jobs service: local (the IoT Jobs topics on the local broker) or AWS IoT Jobs. */
export const CloudJobsConfig = Type.Object(
  {
    adapter: Type.Union([Type.Literal('local'), Type.Literal('aws')], { default: 'local' }),
    /** Local service: how often timeouts and the rollout rate are re-evaluated. */
    tickMs: Type.Integer({ minimum: 10, maximum: 60_000, default: 1000 }),
    /** Local service MQTT client id. */
    clientId: Type.String({ minLength: 1, maxLength: 128, default: 'edgetwin-jobs-service' }),
    /** AWS: account that owns the things; job targets become `arn:aws:iot:<region>:<accountId>:thing/<name>`. */
    accountId: Type.Optional(Type.String({ pattern: '^[0-9]{12}$' })),
    /** AWS: IoT control-plane endpoint override (tests, VPC endpoints). */
    endpoint: Type.Optional(Type.String({ pattern: '^https?://' })),
  },
  { $id: 'CloudJobsConfig', additionalProperties: false, default: {} },
)
export type CloudJobsConfig = Static<typeof CloudJobsConfig>
