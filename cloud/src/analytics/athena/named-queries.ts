import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { FleetError } from '../../fleet/errors.js'
import type { Zone } from '../zone.js'
import { athenaGeometry } from './wkt.js'

/** What an `AWS::Athena::NamedQuery` needs besides the database and workgroup. */
export interface AthenaNamedQuery {
  readonly name: string
  readonly description: string
  readonly queryString: string
}

export interface AthenaQueryOptions {
  /** Glue database. @default 'edgetwin_fleet' */
  readonly database?: string
  /** The declared table of raw position events (EventBridge events, as Firehose archives them). @default 'position_events' */
  readonly archiveTable?: string
  /** The declared table of enriched objects. @default 'enriched' */
  readonly enrichedTable?: string
  /** Time zone of the charging-day variants. @default 'Europe/London' */
  readonly chargingTimeZone?: string
}

/**
 * The execution parameters each query takes, in order (Athena `StartQueryExecution` `ExecutionParameters`, one
 * SQL literal per `?`): the first and last day of the range, inclusive, as `'YYYY-MM-DD'`, and for the days-in-zone
 * queries the daily fee.
 */
export const DAYS_IN_ZONE_PARAMETERS = ['fromDay', 'toDay', 'dailyFee'] as const
export const REPLACEMENT_PARAMETERS = ['fromDay', 'toDay'] as const

const IDENT = /^[a-z_][a-z0-9_]{0,127}$/

function ident(name: string, what: string): string {
  // Glue lower-cases names; anything else would need quoting rules we do not want in generated SQL.
  if (!IDENT.test(name)) throw new FleetError('CLOUD_REPORT_INVALID', `${what} '${name}' must match ${IDENT.source}`)
  return name
}

/**
 * The reference architecture's Athena views and queries for `zone`, ready to deploy as named queries, answering
 * exactly what the local reports answer (`daysInZoneReport`, `replacementReport` in ../reports.ts) for the same
 * range: only days from `fromDay` to `toDay` count; every vehicle in the data has a days-in-zone row, 0 included; a
 * vehicle's purchase date is its earliest, its mileage the highest in the range; age is counted to the day after
 * the range (whole years, then the fraction of the next year), at least 1/365 so a vehicle bought that day divides
 * by no zero. Arrays are 1-based in Athena: position[1] is longitude. The `-utc` queries count UTC dates (the
 * reference's `DATE(sampletime)`); the `-charging-day` ones the day in the charging time zone, which TfL charges.
 */
export function athenaNamedQueries(zone: Zone, options: AthenaQueryOptions = {}): AthenaNamedQuery[] {
  const db = ident(options.database ?? 'edgetwin_fleet', 'database')
  const archive = ident(options.archiveTable ?? 'position_events', 'archive table')
  const enriched = ident(options.enrichedTable ?? 'enriched', 'enriched table')
  const tz = options.chargingTimeZone ?? 'Europe/London'
  if (!/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(tz)) throw new FleetError('CLOUD_REPORT_INVALID', `time zone '${tz}' is not an IANA name`)
  const z = ident(zone.id.toLowerCase().replace(/[^a-z0-9_]/g, '_'), 'zone id')
  const geometry = athenaGeometry(zone)
  const archiveView = `${z}_archive_positions`
  const enrichedView = `${z}_enriched_positions`
  const dayIn = (zoneName: string) => `DATE(sampletime AT TIME ZONE '${zoneName}')`

  const daysInZone = (day: string) => `WITH params AS (
  SELECT CAST(? AS date) AS from_day, CAST(? AS date) AS to_day, CAST(? AS decimal(10, 2)) AS daily_fee
),
days AS (
  SELECT deviceid, insidezone, ${day} AS day FROM "${db}"."${archiveView}"
)
SELECT d.deviceid,
       COUNT(DISTINCT CASE WHEN d.insidezone AND d.day BETWEEN p.from_day AND p.to_day THEN d.day END) AS days_in_zone,
       COUNT(DISTINCT CASE WHEN d.insidezone AND d.day BETWEEN p.from_day AND p.to_day THEN d.day END) * p.daily_fee AS charges
FROM days d CROSS JOIN params p
GROUP BY d.deviceid, p.daily_fee
ORDER BY days_in_zone DESC, d.deviceid`

  const replacement = (day: string) => `WITH params AS (
  SELECT CAST(? AS date) AS from_day, CAST(? AS date) AS to_day
),
in_range AS (
  SELECT e.deviceid, CAST(e.purchasedate AS date) AS purchasedate, e.mileage, e.insidezone, ${day.replace('sampletime', 'e.sampletime')} AS day
  FROM "${db}"."${enrichedView}" e CROSS JOIN params p
  WHERE e.meetsemissionstandards = false AND e.purchasedate IS NOT NULL AND e.mileage IS NOT NULL
    AND ${day.replace('sampletime', 'e.sampletime')} BETWEEN p.from_day AND p.to_day
),
vehicles AS (
  SELECT i.deviceid, MIN(i.purchasedate) AS purchasedate, MAX(i.mileage) AS mileage,
         COUNT(DISTINCT CASE WHEN i.insidezone THEN i.day END) AS days_in_zone,
         date_add('day', 1, MAX(p.to_day)) AS as_of
  FROM in_range i CROSS JOIN params p
  GROUP BY i.deviceid
),
anniversaries AS (
  SELECT v.*, date_add('year', date_diff('year', v.purchasedate, v.as_of), v.purchasedate) AS last_anniversary,
         date_diff('year', v.purchasedate, v.as_of) AS whole_years
  FROM vehicles v
),
ages AS (
  SELECT a.*,
         GREATEST(
           a.whole_years + CAST(date_diff('day', a.last_anniversary, a.as_of) AS double)
             / date_diff('day', a.last_anniversary, date_add('year', 1, a.last_anniversary)),
           1E0 / 365
         ) AS age_exact
  FROM anniversaries a
)
SELECT deviceid,
       purchasedate,
       mileage,
       round(age_exact, 2) AS age_years,
       days_in_zone,
       round(mileage / age_exact) AS mileage_per_year
FROM ages
ORDER BY mileage_per_year DESC, deviceid`

  // 1E0 is a DOUBLE literal in Trino; 1.0 would be a DECIMAL(2,1), and 1.0 / 365 a DECIMAL rounded to 0.0.
  const ranged = (params: readonly string[]) => ` Execution parameters: ${params.join(', ')}.`
  return [
    {
      name: `${z}-archive-view`,
      description: `View over the archived position events with insidezone for zone ${zone.id}`,
      queryString: `CREATE OR REPLACE VIEW "${db}"."${archiveView}" AS
SELECT detail.deviceid AS deviceid,
       from_iso8601_timestamp(detail.sampletime) AS sampletime,
       detail.position[1] AS lon,
       detail.position[2] AS lat,
       ST_Within(ST_Point(detail.position[1], detail.position[2]), ${geometry}) AS insidezone
FROM "${db}"."${archive}"`,
    },
    {
      name: `${z}-enriched-view`,
      description: `View over the enriched position objects with insidezone for zone ${zone.id}`,
      queryString: `CREATE OR REPLACE VIEW "${db}"."${enrichedView}" AS
SELECT deviceid,
       from_iso8601_timestamp(sampletime) AS sampletime,
       position[1] AS lon,
       position[2] AS lat,
       meetsemissionstandards,
       mileage,
       purchasedate,
       ST_Within(ST_Point(position[1], position[2]), ${geometry}) AS insidezone
FROM "${db}"."${enriched}"`,
    },
    {
      name: `${z}-days-in-zone-utc`,
      description: `Days inside ${zone.id} per vehicle and charges at a daily fee, counting UTC dates.${ranged(DAYS_IN_ZONE_PARAMETERS)}`,
      queryString: daysInZone(dayIn('UTC')),
    },
    {
      name: `${z}-days-in-zone-charging-day`,
      description: `Days inside ${zone.id} per vehicle and charges at a daily fee, counting ${tz} charging days.${ranged(DAYS_IN_ZONE_PARAMETERS)}`,
      queryString: daysInZone(dayIn(tz)),
    },
    {
      name: `${z}-replacement-utc`,
      description: `Vehicles missing the emission standards, by mileage per year; days in ${zone.id} as UTC dates.${ranged(REPLACEMENT_PARAMETERS)}`,
      queryString: replacement(dayIn('UTC')),
    },
    {
      name: `${z}-replacement-charging-day`,
      description: `Vehicles missing the emission standards, by mileage per year; days in ${zone.id} as ${tz} charging days.${ranged(REPLACEMENT_PARAMETERS)}`,
      queryString: replacement(dayIn(tz)),
    },
  ]
}

/** Writes each named query as `<dir>/<name>.sql` (plus `named-queries.json`) for the CDK app to deploy. */
export function writeAthenaNamedQueries(dir: string, zone: Zone, options: AthenaQueryOptions = {}): string[] {
  mkdirSync(dir, { recursive: true })
  const queries = athenaNamedQueries(zone, options)
  const files = queries.map((q) => {
    const file = join(dir, `${q.name}.sql`)
    writeFileSync(file, `-- ${q.description}\n${q.queryString};\n`)
    return file
  })
  writeFileSync(join(dir, 'named-queries.json'), `${JSON.stringify(queries, null, 2)}\n`)
  return files
}
