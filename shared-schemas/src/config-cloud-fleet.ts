import Type, { type Static } from 'typebox'
import { DeviceId } from './ids.js'
import { TransformedPositionEvent } from './position-event.js'

/** `YYYY-MM-DD`, as the reference architecture's maintenance table stores PurchaseDate. */
export const IsoDate = Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$' })
export type IsoDate = Static<typeof IsoDate>

/**
 * One vehicle's maintenance record (the reference architecture's DynamoDB table: partition key DeviceId,
 * attributes MeetsEmissionStandards, Mileage, PurchaseDate). Field names as stored.
 */
export const MaintenanceRecord = Type.Object(
  {
    DeviceId: DeviceId,
    MeetsEmissionStandards: Type.Boolean(),
    /** Odometer reading in miles (UK), as the table stores it. */
    Mileage: Type.Number({ minimum: 0, maximum: 10_000_000 }),
    PurchaseDate: IsoDate,
  },
  { $id: 'MaintenanceRecord', additionalProperties: false },
)
export type MaintenanceRecord = Static<typeof MaintenanceRecord>

/**
 * The object the enrichment handler writes per position event at `<prefix>/<DeviceId>/<SampleTime>-<uuid>.json`:
 * the transformed event plus the maintenance attributes (null when the vehicle has no record).
 */
export const EnrichedPositionEvent = Type.Object(
  {
    ...TransformedPositionEvent.properties,
    MeetsEmissionStandards: Type.Union([Type.Boolean(), Type.Null()]),
    Mileage: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
    PurchaseDate: Type.Union([IsoDate, Type.Null()]),
  },
  { $id: 'EnrichedPositionEvent', additionalProperties: false },
)
export type EnrichedPositionEvent = Static<typeof EnrichedPositionEvent>

/** Fleet analytics: enrichment, maintenance store, object store, event archive, zones and geofences. */
export const CloudFleetConfig = Type.Object(
  {
    /** Run the enrichment and archive consumers of position events (the reference architecture's two rule targets). */
    enabled: Type.Boolean({ default: true }),
    maintenance: Type.Object(
      {
        adapter: Type.Enum(['sqlite', 'dynamodb']),
        /** SQLite file, relative to the cloud dataDir unless absolute. */
        sqliteFile: Type.String({ minLength: 1, default: 'maintenance.sqlite' }),
        tableName: Type.String({ minLength: 3, maxLength: 255, default: 'VehicleMaintenance' }),
        /** A maintenance record changes rarely; GetItem results are cached this long (0 disables the cache). */
        cacheTtlMs: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 60_000 }),
      },
      { additionalProperties: false, default: { adapter: 'sqlite' } },
    ),
    objects: Type.Object(
      {
        adapter: Type.Enum(['local', 's3']),
        /** Local folder, relative to the cloud dataDir unless absolute. */
        root: Type.String({ minLength: 1, default: 'objects' }),
        bucket: Type.Optional(Type.String({ minLength: 3, maxLength: 63 })),
        /** Objects land at `<prefix>/<DeviceId>/<SampleTime>-<uuid>.json`. */
        prefix: Type.String({ minLength: 1, default: 'enriched' }),
      },
      { additionalProperties: false, default: { adapter: 'local' } },
    ),
    /** Prefix of the raw position events in the archive stream (the Firehose target). */
    archivePrefix: Type.String({ minLength: 1, default: 'position-events' }),
    /** GeoJSON file of the zone; the built-in 2021 ULEZ expansion when absent. */
    zoneFile: Type.Optional(Type.String({ minLength: 1 })),
    /** IANA time zone in which a charging day runs midnight to midnight (the ULEZ charge: Europe/London). */
    chargingTimeZone: Type.String({ minLength: 1, default: 'Europe/London' }),
    dailyFee: Type.Number({ minimum: 0, default: 12.5 }),
    geofence: Type.Object(
      {
        /** A vehicle must stay on the new side of the boundary this long before ENTER/EXIT is emitted. */
        minDwellS: Type.Number({ minimum: 0, maximum: 86_400, default: 60 }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { $id: 'CloudFleetConfig', additionalProperties: false, default: {} },
)
export type CloudFleetConfig = Static<typeof CloudFleetConfig>

const GeoJsonPosition = Type.Array(Type.Number(), { minItems: 2, maxItems: 3 })
/** RFC 7946 §3.1.6: a linear ring has at least four positions, the first equal to the last. */
const GeoJsonLinearRing = Type.Array(GeoJsonPosition, { minItems: 4 })
export const GeoJsonPolygon = Type.Object({ type: Type.Literal('Polygon'), coordinates: Type.Array(GeoJsonLinearRing, { minItems: 1 }) })
export const GeoJsonMultiPolygon = Type.Object({
  type: Type.Literal('MultiPolygon'),
  coordinates: Type.Array(Type.Array(GeoJsonLinearRing, { minItems: 1 }), { minItems: 1 }),
})
const ZoneGeometry = Type.Union([GeoJsonPolygon, GeoJsonMultiPolygon])
const ZoneFeature = Type.Object({
  type: Type.Literal('Feature'),
  geometry: ZoneGeometry,
  properties: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()])),
})

/** A zone file: a Polygon or MultiPolygon geometry, a Feature of one, or a FeatureCollection of them (RFC 7946). */
export const ZoneGeoJson = Type.Union(
  [
    ZoneGeometry,
    ZoneFeature,
    Type.Object({
      type: Type.Literal('FeatureCollection'),
      name: Type.Optional(Type.String()),
      features: Type.Array(ZoneFeature, { minItems: 1 }),
    }),
  ],
  { $id: 'ZoneGeoJson' },
)
export type ZoneGeoJson = Static<typeof ZoneGeoJson>
