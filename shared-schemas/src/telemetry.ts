import Type, { type Static } from 'typebox'
import { DeviceId, IsoTimestamp, type StreamName } from './ids.js'

/** A GPS fix. `lon`/`lat` are WGS84 degrees, as Amazon Location's `Position: [lon, lat]`. */
export const VehiclePosition = Type.Object(
  {
    sampleTime: IsoTimestamp,
    lon: Type.Number({ minimum: -180, maximum: 180 }),
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    speedMps: Type.Optional(Type.Number({ minimum: 0, maximum: 150 })),
    headingDeg: Type.Optional(Type.Number({ minimum: 0, maximum: 360 })),
    accuracyM: Type.Optional(Type.Number({ minimum: 0, maximum: 10_000 })),
  },
  { $id: 'VehiclePosition', additionalProperties: false },
)
export type VehiclePosition = Static<typeof VehiclePosition>

/** Alarms a turbine controller raises; see turbine-model for when each fires. */
export const TURBINE_ALARMS = ['overspeed', 'overpower', 'torque-limit', 'pitch-rate-limit', 'sensor-stuck', 'controller-fault'] as const
export const TurbineAlarm = Type.Enum(TURBINE_ALARMS)
export type TurbineAlarm = Static<typeof TurbineAlarm>

/** One turbine sample (1 Hz by default), units in the names. */
export const TurbineSample = Type.Object(
  {
    time: IsoTimestamp,
    windSpeedMps: Type.Number({ minimum: 0, maximum: 100 }),
    rotorSpeedRpm: Type.Number({ minimum: -5, maximum: 100 }),
    generatorSpeedRpm: Type.Number({ minimum: -500, maximum: 5000 }),
    generatorPowerKw: Type.Number({ minimum: -1000, maximum: 20_000 }),
    generatorTorqueKnm: Type.Number({ minimum: -100, maximum: 200 }),
    bladePitchDeg: Type.Number({ minimum: -10, maximum: 95 }),
    rotorThrustKn: Type.Optional(Type.Number({ minimum: -5000, maximum: 5000 })),
    alarms: Type.Array(TurbineAlarm, { maxItems: 16, uniqueItems: true }),
    controllerVersion: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { $id: 'TurbineSample', additionalProperties: false },
)
export type TurbineSample = Static<typeof TurbineSample>

/** A windowed aggregate computed on a gateway; the only shape of site data that may leave a site by default. */
export const GatewayAggregate = Type.Object(
  {
    windowStart: IsoTimestamp,
    windowEnd: IsoTimestamp,
    sourceId: Type.String({ minLength: 1, maxLength: 256 }),
    metric: Type.String({ minLength: 1, maxLength: 128 }),
    count: Type.Integer({ minimum: 0 }),
    mean: Type.Optional(Type.Number()),
    min: Type.Optional(Type.Number()),
    max: Type.Optional(Type.Number()),
    p95: Type.Optional(Type.Number()),
    alarms: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 32 })),
    /**
     * `true` on a record that replaces an aggregate sent earlier for the same source, metric and window: rows
     * arrived after the window closed, and the gateway recomputed it from the site database.
     */
    correction: Type.Optional(Type.Literal(true)),
  },
  { $id: 'GatewayAggregate', additionalProperties: false },
)
export type GatewayAggregate = Static<typeof GatewayAggregate>

/** A discrete device event (alarm raised, job applied, source error). */
export const DeviceEvent = Type.Object(
  {
    time: IsoTimestamp,
    type: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9.:_-]*$' }),
    severity: Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]),
    message: Type.Optional(Type.String({ maxLength: 1024 })),
    data: Type.Optional(
      Type.Record(
        Type.String({ maxLength: 64 }),
        Type.Union([Type.String({ maxLength: 1024 }), Type.Number(), Type.Boolean(), Type.Null()]),
      ),
    ),
  },
  { $id: 'DeviceEvent', additionalProperties: false },
)
export type DeviceEvent = Static<typeof DeviceEvent>

const Count = Type.Integer({ minimum: 0 })

/** What an agent says about itself, periodically and on request (`agent.health()`). */
export const HealthReport = Type.Object(
  {
    time: IsoTimestamp,
    deviceId: DeviceId,
    status: Type.Union([Type.Literal('online'), Type.Literal('offline')]),
    connection: Type.Union([Type.Literal('connected'), Type.Literal('connecting'), Type.Literal('disconnected')]),
    queueDepth: Count,
    queueBytes: Count,
    oldestAgeMs: Type.Union([Count, Type.Null()]),
    inflight: Count,
    counters: Type.Object(
      {
        accepted: Count,
        published: Count,
        acked: Count,
        evicted: Count,
        rejected: Count,
        quarantined: Count,
        /**
         * `quarantined` by why (older agents omit them): the broker refused them (PUBACK >= 0x80, or, under
         * MQTT 3.1.1, a close right after them that cannot be told from a size limit), too large for the broker,
         * damaged on disk (read back unparseable or invalid).
         */
        quarantinedRefused: Type.Optional(Count),
        quarantinedTooLarge: Type.Optional(Count),
        quarantinedDamaged: Type.Optional(Count),
        filtered: Count,
        reconnects: Count,
      },
      { additionalProperties: false },
    ),
    lastError: Type.Union([
      Type.Object({ code: Type.String(), message: Type.String(), at: IsoTimestamp }, { additionalProperties: false }),
      Type.Null(),
    ]),
  },
  { $id: 'HealthReport', additionalProperties: false },
)
export type HealthReport = Static<typeof HealthReport>

/** The record schema carried by each stream. */
export const RECORD_SCHEMAS = {
  position: VehiclePosition,
  metrics: TurbineSample,
  events: DeviceEvent,
  aggregate: GatewayAggregate,
  health: HealthReport,
} as const satisfies Record<StreamName, unknown>

export interface StreamRecordMap {
  position: VehiclePosition
  metrics: TurbineSample
  events: DeviceEvent
  aggregate: GatewayAggregate
  health: HealthReport
}
