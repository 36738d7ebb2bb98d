import { type Static, Type } from 'typebox'
import { DeviceId, IsoTimestamp } from './ids.js'
import { HealthReport } from './telemetry.js'
import { createValidator } from './validate.js'

/** The web console's config (`edgetwin cloud run --console-*` / the `console` section a composition root passes). */
export const ConsoleConfig = Type.Object(
  {
    /** Loopback by default; any other address needs a token. */
    host: Type.String({ minLength: 1, default: '127.0.0.1' }),
    /** 0 lets the OS choose (tests). */
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
    /** Environment variable holding the bearer token; required when `host` is not a loopback address. */
    tokenEnv: Type.String({ minLength: 1, default: 'EDGETWIN_CONSOLE_TOKEN' }),
    /** XYZ raster tile URL template (`https://…/{z}/{x}/{y}.png`); absent: the map has a plain background. */
    basemapUrl: Type.Optional(Type.String({ pattern: '^https?://.*\\{z\\}.*\\{x\\}.*\\{y\\}', maxLength: 2048 })),
    basemapAttribution: Type.Optional(Type.String({ maxLength: 512 })),
    /** A device whose last report (or a vehicle whose last position) is older than this is flagged stale. */
    staleAfterS: Type.Integer({ minimum: 1, maximum: 86_400, default: 120 }),
    /** Live pushes per client are at least this far apart (at most 2 per second). */
    pushIntervalMs: Type.Integer({ minimum: 500, maximum: 60_000, default: 500 }),
    /** Daily charge the days-in-zone report opens with. */
    dailyFee: Type.Number({ minimum: 0, maximum: 10_000, default: 12.5 }),
  },
  { $id: 'ConsoleConfig', additionalProperties: false },
)
export type ConsoleConfig = Static<typeof ConsoleConfig>
/** Compiled once at import; `parseConfig(consoleConfigValidator, input)` fills the defaults. */
export const consoleConfigValidator = createValidator(ConsoleConfig)

const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD' })
const EpochMs = Type.Number({ description: 'milliseconds since the epoch, UTC' })

export const ConsoleErrorBody = Type.Object(
  { statusCode: Type.Integer(), code: Type.String(), error: Type.String(), message: Type.String() },
  { $id: 'ConsoleErrorBody' },
)
export type ConsoleErrorBody = Static<typeof ConsoleErrorBody>

export const ConsoleSettings = Type.Object({
  basemapUrl: Type.Union([Type.String(), Type.Null()]),
  basemapAttribution: Type.Union([Type.String(), Type.Null()]),
  staleAfterS: Type.Integer(),
  dailyFee: Type.Number(),
  chargingTimeZone: Type.String(),
  serverTime: IsoTimestamp,
  zone: Type.Object({
    id: Type.String(),
    /** GeoJSON MultiPolygon coordinates, [lon, lat]. */
    coordinates: Type.Array(Type.Array(Type.Array(Type.Array(Type.Number())))),
    bbox: Type.Array(Type.Number(), { minItems: 4, maxItems: 4 }),
  }),
  twin: Type.Boolean({ description: 'whether the twin loop runs in this cloud' }),
})
export type ConsoleSettings = Static<typeof ConsoleSettings>

export const ConsoleVehicle = Type.Object({
  deviceId: DeviceId,
  sampleTime: IsoTimestamp,
  receivedTime: IsoTimestamp,
  lon: Type.Number(),
  lat: Type.Number(),
  insideZone: Type.Boolean(),
})
export type ConsoleVehicle = Static<typeof ConsoleVehicle>

export const ConsoleVehicles = Type.Object({
  /** False when the configured tracker cannot list devices (Amazon Location here): only live updates show. */
  listed: Type.Boolean(),
  vehicles: Type.Array(ConsoleVehicle),
})
export type ConsoleVehicles = Static<typeof ConsoleVehicles>

export const ConsoleTrackQuery = Type.Object({ day: Day }, { additionalProperties: false })
export const ConsoleTrack = Type.Object({
  deviceId: DeviceId,
  day: Day,
  timeZone: Type.String(),
  positions: Type.Array(Type.Object({ sampleTime: IsoTimestamp, lon: Type.Number(), lat: Type.Number() })),
  /** ENTER/EXIT over the day's stored positions (the cloud's geofence detector, same dwell). */
  events: Type.Array(
    Type.Object({
      EventType: Type.Union([Type.Literal('ENTER'), Type.Literal('EXIT')]),
      GeofenceId: Type.String(),
      SampleTime: IsoTimestamp,
      Position: Type.Array(Type.Number()),
    }),
  ),
})
export type ConsoleTrack = Static<typeof ConsoleTrack>

export const ConsoleReportQuery = Type.Object(
  { from: Day, to: Day, fee: Type.Optional(Type.Number({ minimum: 0, maximum: 10_000 })) },
  { additionalProperties: false },
)
export type ConsoleReportQuery = Static<typeof ConsoleReportQuery>

export const ConsoleDaysInZone = Type.Object({
  from: Day,
  to: Day,
  dailyFee: Type.Number(),
  timeZone: Type.String(),
  rows: Type.Array(Type.Object({ deviceId: Type.String(), daysInZone: Type.Integer(), charges: Type.Number(), days: Type.Array(Day) })),
  totals: Type.Object({ vehicles: Type.Integer(), daysInZone: Type.Integer(), charges: Type.Number() }),
  skippedRows: Type.Integer(),
})
export type ConsoleDaysInZone = Static<typeof ConsoleDaysInZone>

export const ConsoleReplacement = Type.Object({
  from: Day,
  to: Day,
  rows: Type.Array(
    Type.Object({
      deviceId: Type.String(),
      purchaseDate: Type.String(),
      mileage: Type.Number(),
      ageYears: Type.Number(),
      daysInZone: Type.Integer(),
      mileagePerYear: Type.Number(),
    }),
  ),
})
export type ConsoleReplacement = Static<typeof ConsoleReplacement>

export const ConsoleTurbine = Type.Object({
  deviceId: DeviceId,
  lastSampleMs: Type.Union([EpochMs, Type.Null()]),
  controllerVersion: Type.Union([Type.Integer(), Type.Null()]),
  overspeedAlarmsLastHour: Type.Integer(),
})
export const ConsoleTurbines = Type.Object({ turbines: Type.Array(ConsoleTurbine) })
export type ConsoleTurbines = Static<typeof ConsoleTurbines>

export const CONSOLE_TURBINE_FIELDS = ['rotorSpeedRpm', 'generatorPowerKw', 'bladePitchDeg', 'windSpeedMps'] as const
export type ConsoleTurbineField = (typeof CONSOLE_TURBINE_FIELDS)[number]

export const ConsoleSeriesQuery = Type.Object(
  { minutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 1440, default: 60 })) },
  { additionalProperties: false },
)
/** Column arrays, one value per sample (uPlot's data layout); null where a sample lacked the field. */
export const ConsoleTurbineSeries = Type.Object({
  deviceId: DeviceId,
  fromMs: EpochMs,
  toMs: EpochMs,
  timeMs: Type.Array(Type.Number()),
  rotorSpeedRpm: Type.Array(Type.Union([Type.Number(), Type.Null()])),
  generatorPowerKw: Type.Array(Type.Union([Type.Number(), Type.Null()])),
  bladePitchDeg: Type.Array(Type.Union([Type.Number(), Type.Null()])),
  windSpeedMps: Type.Array(Type.Union([Type.Number(), Type.Null()])),
  alarms: Type.Array(Type.Object({ timeMs: Type.Number(), alarm: Type.String() })),
  /** 10-minute statistics per field (the store's window aggregates). */
  stats: Type.Array(
    Type.Object({
      field: Type.String(),
      windowStartMs: Type.Number(),
      count: Type.Integer(),
      mean: Type.Number(),
      min: Type.Number(),
      max: Type.Number(),
      std: Type.Union([Type.Number(), Type.Null()]),
    }),
  ),
  controller: Type.Union([Type.Object({ version: Type.Integer(), parameters: Type.Record(Type.String(), Type.Number()) }), Type.Null()]),
})
export type ConsoleTurbineSeries = Static<typeof ConsoleTurbineSeries>

export const ConsoleDecisionsQuery = Type.Object(
  { deviceId: Type.Optional(DeviceId), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) },
  { additionalProperties: false },
)
/** The twin's DecisionRecord as logged (provenance kept whole). */
export const ConsoleDecision = Type.Object(
  {
    id: Type.String(),
    createdAt: IsoTimestamp,
    deviceId: Type.String(),
    conditions: Type.Record(Type.String(), Type.Unknown()),
    inputsHash: Type.String(),
    engine: Type.String(),
    engineVersion: Type.String(),
    seeds: Type.Array(Type.Number()),
    results: Type.Unknown(),
    decision: Type.Object(
      {
        action: Type.String({ description: "'update', 'none', …" }),
        candidate: Type.Optional(Type.String()),
        reason: Type.String(),
        patch: Type.Optional(Type.Record(Type.String(), Type.Number())),
        documentVersion: Type.Optional(Type.Integer()),
      },
      { additionalProperties: true },
    ),
    jobId: Type.Union([Type.String(), Type.Null()]),
    /** On an outcome record: how the job of decision `decisionId` ended on the turbine (a rollback is FAILED). */
    outcome: Type.Optional(
      Type.Object(
        {
          decisionId: Type.String(),
          jobId: Type.String(),
          candidate: Type.Optional(Type.String()),
          status: Type.String(),
          reasonCode: Type.Optional(Type.String()),
          reason: Type.Optional(Type.String()),
        },
        { additionalProperties: true },
      ),
    ),
  },
  { additionalProperties: true },
)
export const ConsoleDecisions = Type.Object({ enabled: Type.Boolean(), decisions: Type.Array(ConsoleDecision) })
export type ConsoleDecisions = Static<typeof ConsoleDecisions>

export const ConsoleJob = Type.Object({
  jobId: Type.String(),
  status: Type.String(),
  createdAt: Type.String(),
  reasonCode: Type.Union([Type.String(), Type.Null()]),
  targets: Type.Array(Type.String()),
  document: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  processDetails: Type.Record(Type.String(), Type.Integer()),
  executions: Type.Array(
    Type.Object({
      thingName: Type.String(),
      status: Type.String(),
      versionNumber: Type.Integer(),
      statusDetails: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
    }),
  ),
})
export type ConsoleJob = Static<typeof ConsoleJob>

export const ConsoleDevice = Type.Object({
  deviceId: Type.String(),
  report: HealthReport,
  /** Seconds since the report's time, at `serverTime`. */
  ageS: Type.Number(),
  stale: Type.Boolean(),
  controllerVersion: Type.Union([Type.Integer(), Type.Null()]),
})
export const ConsoleDevices = Type.Object({
  listed: Type.Boolean(),
  staleAfterS: Type.Integer(),
  serverTime: IsoTimestamp,
  devices: Type.Array(ConsoleDevice),
})
export type ConsoleDevices = Static<typeof ConsoleDevices>

/** One Server-Sent Event of `GET /api/live` (`event: update`): what changed since the previous push to this client. */
export const ConsoleLiveUpdate = Type.Object({
  seq: Type.Integer({ minimum: 1 }),
  serverTime: IsoTimestamp,
  vehicles: Type.Array(ConsoleVehicle),
  /** Turbines with new samples: their newest sample's time and main values. */
  turbines: Type.Array(
    Type.Object({
      deviceId: Type.String(),
      timeMs: Type.Number(),
      rotorSpeedRpm: Type.Union([Type.Number(), Type.Null()]),
      generatorPowerKw: Type.Union([Type.Number(), Type.Null()]),
      bladePitchDeg: Type.Union([Type.Number(), Type.Null()]),
      windSpeedMps: Type.Union([Type.Number(), Type.Null()]),
      alarms: Type.Array(Type.String()),
    }),
  ),
  /** Device ids whose health report changed. */
  devices: Type.Array(Type.String()),
  /** Number of decisions now in the log, when it grew. */
  decisions: Type.Union([Type.Integer(), Type.Null()]),
})
export type ConsoleLiveUpdate = Static<typeof ConsoleLiveUpdate>
