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
  /** Table the Glue crawler made over the Firehose archive of position events. @default 'position_events' */
  readonly archiveTable?: string
  /** Table the Glue crawler made over the enriched objects. @default 'enriched' */
  readonly enrichedTable?: string
  /** @default 12.5 */
  readonly dailyFee?: number
  /** Time zone of the charging-day variants. @default 'Europe/London' */
  readonly chargingTimeZone?: string
}

const IDENT = /^[a-z_][a-z0-9_]{0,127}$/

function ident(name: string, what: string): string {
  // Glue lower-cases names; anything else would need quoting rules we do not want in generated SQL.
  if (!IDENT.test(name)) throw new FleetError('CLOUD_REPORT_INVALID', `${what} '${name}' must match ${IDENT.source}`)
  return name
}

/**
 * The reference architecture's Athena views and queries for `zone`, ready to deploy as named queries.
 * The Glue crawler lower-cases JSON keys: the archive rows are EventBridge events (`detail.deviceid`,
 * `detail.sampletime`, `detail.position`), the enriched rows are flat (`deviceid`, `sampletime`, `position`,
 * `meetsemissionstandards`, `mileage`, `purchasedate`). Arrays are 1-based in Athena: position[1] is longitude.
 * The `-utc` queries count `DATE(sampletime)` as the reference does; the `-charging-day` ones count the day in
 * the charging time zone, which is what TfL charges and what `edgetwin fleet report` computes.
 */
export function athenaNamedQueries(zone: Zone, options: AthenaQueryOptions = {}): AthenaNamedQuery[] {
  const db = ident(options.database ?? 'edgetwin_fleet', 'database')
  const archive = ident(options.archiveTable ?? 'position_events', 'archive table')
  const enriched = ident(options.enrichedTable ?? 'enriched', 'enriched table')
  const fee = options.dailyFee ?? 12.5
  if (!Number.isFinite(fee) || fee < 0) throw new FleetError('CLOUD_REPORT_INVALID', `daily fee must be ≥ 0, got ${fee}`)
  const tz = options.chargingTimeZone ?? 'Europe/London'
  if (!/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(tz)) throw new FleetError('CLOUD_REPORT_INVALID', `time zone '${tz}' is not an IANA name`)
  const z = ident(zone.id.toLowerCase().replace(/[^a-z0-9_]/g, '_'), 'zone id')
  const geometry = athenaGeometry(zone)
  const archiveView = `${z}_archive_positions`
  const enrichedView = `${z}_enriched_positions`
  const localDay = `DATE(sampletime AT TIME ZONE '${tz}')`

  const daysInZone = (day: string) => `SELECT deviceid,
       COUNT(DISTINCT ${day}) AS days_in_zone,
       COUNT(DISTINCT ${day}) * ${fee} AS charges
FROM "${db}"."${archiveView}"
WHERE insidezone
GROUP BY deviceid
ORDER BY days_in_zone DESC, deviceid`

  const replacement = (day: string) => `SELECT deviceid,
       purchasedate,
       MAX(mileage) AS mileage,
       date_diff('day', DATE(purchasedate), current_date) / 365.25 AS age_years,
       COUNT(DISTINCT CASE WHEN insidezone THEN ${day} END) AS days_in_zone,
       MAX(mileage) / (date_diff('day', DATE(purchasedate), current_date) / 365.25) AS mileage_per_year
FROM "${db}"."${enrichedView}"
WHERE meetsemissionstandards = false
GROUP BY deviceid, purchasedate
ORDER BY mileage_per_year DESC`

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
      description: `Days inside ${zone.id} per vehicle and charges at ${fee}/day, counting UTC dates (as the reference architecture)`,
      queryString: daysInZone('DATE(sampletime)'),
    },
    {
      name: `${z}-days-in-zone-charging-day`,
      description: `Days inside ${zone.id} per vehicle and charges at ${fee}/day, counting ${tz} charging days`,
      queryString: daysInZone(localDay),
    },
    {
      name: `${z}-replacement-utc`,
      description: `Vehicles missing the emission standards, by mileage per year; days in ${zone.id} as UTC dates`,
      queryString: replacement('DATE(sampletime)'),
    },
    {
      name: `${z}-replacement-charging-day`,
      description: `Vehicles missing the emission standards, by mileage per year; days in ${zone.id} as ${tz} charging days`,
      queryString: replacement(localDay),
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
