import {
  athenaNamedQueries,
  daysInZoneReport,
  type EnrichedRow,
  type PositionRow,
  replacementReport,
  zoneFromGeoJson,
} from '@edgetwin/cloud'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type PostgresHandle, startPostgres } from '../gateway/postgres.js'

/**
 * Issue #20 point 6: the Athena named queries answer what the local reports answer, for the same range. The same rows
 * go (a) to the local reports and (b) into PostgreSQL, where the named queries' SQL runs with their execution
 * parameters bound. PostgreSQL is not Trino: a few Trino functions the SQL uses are defined below in PostgreSQL with
 * Trino's documented meaning (date_diff/date_add by unit, from_iso8601_timestamp, round(x, d), and ST_* over a plain
 * polygon); `detail.x` on the struct column is written `(detail).x` and the type `double` `double precision`. Everything else — the range filter, the
 * zero-day vehicles, the grouping, the age to the day after the range, the 1/365 floor, the order — is the SQL as
 * deployed. The expected rows are worked out by hand from the data below, not by either engine.
 */

// A square zone: lon -0.2..0, lat 51.4..51.6.
const zone = zoneFromGeoJson(
  {
    type: 'Polygon',
    coordinates: [
      [
        [-0.2, 51.4],
        [0, 51.4],
        [0, 51.6],
        [-0.2, 51.6],
        [-0.2, 51.4],
      ],
    ],
  },
  'test_zone',
)
const IN = { lon: -0.1, lat: 51.5 }
const OUT = { lon: 0.5, lat: 51.5 }
const RANGE = { from: '2026-10-01', to: '2026-10-31' }
const FEE = 12.5

// London is on BST (UTC+1) until 2026-10-25, then GMT.
const positions: PositionRow[] = [
  { deviceId: 'van-01', sampleTime: '2026-10-01T09:00:00Z', ...IN }, // UTC 10-01, London 10-01
  { deviceId: 'van-01', sampleTime: '2026-10-01T15:00:00Z', ...IN }, // same day again
  { deviceId: 'van-01', sampleTime: '2026-10-02T10:00:00Z', ...OUT },
  { deviceId: 'van-01', sampleTime: '2026-10-07T22:30:00Z', ...IN }, // UTC 10-07, London 10-07 23:30
  { deviceId: 'van-01', sampleTime: '2026-10-07T23:30:00Z', ...IN }, // UTC 10-07, London 10-08 00:30
  { deviceId: 'van-01', sampleTime: '2026-09-30T23:30:00Z', ...IN }, // UTC 09-30 (out), London 10-01 (counted already)
  { deviceId: 'van-01', sampleTime: '2026-10-31T23:30:00Z', ...IN }, // UTC 10-31, London 10-31 (GMT)
  { deviceId: 'van-01', sampleTime: '2026-11-01T09:00:00Z', ...IN }, // after the range
  { deviceId: 'van-02', sampleTime: '2026-10-05T12:00:00Z', ...OUT }, // never inside: 0 days, still a row
  { deviceId: 'van-03', sampleTime: '2026-09-15T12:00:00Z', ...IN }, // inside, but only before the range: 0 days
  { deviceId: 'van-04', sampleTime: '2026-09-30T23:30:00Z', ...IN }, // UTC 09-30 (out), London 10-01 (in)
]

const enriched: EnrichedRow[] = [
  // van-01: its purchase date was corrected between events (earliest counts), mileage only within the range.
  {
    deviceId: 'van-01',
    sampleTime: '2026-10-01T09:00:00Z',
    ...IN,
    meetsEmissionStandards: false,
    mileage: 80000,
    purchaseDate: '2020-10-15',
  },
  {
    deviceId: 'van-01',
    sampleTime: '2026-10-02T10:00:00Z',
    ...OUT,
    meetsEmissionStandards: false,
    mileage: 80500,
    purchaseDate: '2020-10-15',
  },
  {
    deviceId: 'van-01',
    sampleTime: '2026-10-07T22:30:00Z',
    ...IN,
    meetsEmissionStandards: false,
    mileage: 80900,
    purchaseDate: '2020-09-01',
  },
  {
    deviceId: 'van-01',
    sampleTime: '2026-10-07T23:30:00Z',
    ...IN,
    meetsEmissionStandards: false,
    mileage: 81000,
    purchaseDate: '2020-09-01',
  },
  {
    deviceId: 'van-01',
    sampleTime: '2026-11-01T09:00:00Z',
    ...IN,
    meetsEmissionStandards: false,
    mileage: 99999,
    purchaseDate: '2020-09-01',
  },
  // Meets the standards: not a replacement candidate.
  {
    deviceId: 'van-02',
    sampleTime: '2026-10-05T12:00:00Z',
    ...IN,
    meetsEmissionStandards: true,
    mileage: 300000,
    purchaseDate: '2001-01-01',
  },
  // Bought on the day after the range: age 0 → the 1/365 floor, no division by zero.
  {
    deviceId: 'van-05',
    sampleTime: '2026-10-20T12:00:00Z',
    ...OUT,
    meetsEmissionStandards: false,
    mileage: 12,
    purchaseDate: '2026-11-01',
  },
  // No mileage on record: left out, as the local report does.
  {
    deviceId: 'van-06',
    sampleTime: '2026-10-20T12:00:00Z',
    ...IN,
    meetsEmissionStandards: false,
    mileage: null,
    purchaseDate: '2018-01-01',
  },
  {
    deviceId: 'van-07',
    sampleTime: '2026-10-10T12:00:00Z',
    ...IN,
    meetsEmissionStandards: false,
    mileage: 50000,
    purchaseDate: '2019-02-28',
  },
]

/** Worked out by hand from the rows above. */
const EXPECTED = {
  daysUtc: [
    { deviceId: 'van-01', daysInZone: 3, charges: 37.5 }, // 10-01, 10-07, 10-31
    { deviceId: 'van-02', daysInZone: 0, charges: 0 },
    { deviceId: 'van-03', daysInZone: 0, charges: 0 },
    { deviceId: 'van-04', daysInZone: 0, charges: 0 },
  ],
  daysLondon: [
    { deviceId: 'van-01', daysInZone: 4, charges: 50 }, // 10-01, 10-07, 10-08, 10-31
    { deviceId: 'van-04', daysInZone: 1, charges: 12.5 }, // 10-01
    { deviceId: 'van-02', daysInZone: 0, charges: 0 },
    { deviceId: 'van-03', daysInZone: 0, charges: 0 },
  ],
  // Age to 2026-11-01 (the day after the range): van-01 6 years to 2026-09-01 + 61/365 = 6.1671 → 81000 / 6.1671 = 13134;
  // van-07 7 years to 2026-02-28 + 246/365 = 7.6740 → 50000 / 7.6740 = 6516; van-05 0 → 1/365 → 12 × 365 = 4380.
  replacementUtc: [
    { deviceId: 'van-01', purchaseDate: '2020-09-01', mileage: 81000, ageYears: 6.17, daysInZone: 2, mileagePerYear: 13134 },
    { deviceId: 'van-07', purchaseDate: '2019-02-28', mileage: 50000, ageYears: 7.67, daysInZone: 1, mileagePerYear: 6516 },
    { deviceId: 'van-05', purchaseDate: '2026-11-01', mileage: 12, ageYears: 0, daysInZone: 0, mileagePerYear: 4380 },
  ],
  replacementLondonDays: { 'van-01': 3, 'van-07': 1, 'van-05': 0 }, // van-01: 10-01, 10-07, 10-08
}

// Trino functions the SQL uses, defined in PostgreSQL with Trino's meaning (Trino docs, "Date and time functions",
// "Geospatial functions"): complete years between dates; adding whole units; ISO 8601 parsing; rounding to d digits.
const TRINO_SHIMS = `
CREATE FUNCTION date_diff(unit text, a date, b date) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE unit WHEN 'day' THEN (b - a)::bigint WHEN 'year' THEN extract(year FROM age(b, a))::bigint END $$;
CREATE FUNCTION date_add(unit text, n bigint, d date) RETURNS date LANGUAGE sql IMMUTABLE AS $$
  SELECT (d + CASE unit WHEN 'day' THEN make_interval(days => n::int) WHEN 'year' THEN make_interval(years => n::int) END)::date $$;
CREATE FUNCTION from_iso8601_timestamp(text) RETURNS timestamptz LANGUAGE sql IMMUTABLE AS $$ SELECT $1::timestamptz $$;
CREATE FUNCTION round(x double precision, d int) RETURNS double precision LANGUAGE sql IMMUTABLE AS $$
  SELECT round(x::numeric, d)::double precision $$;
CREATE FUNCTION st_point(x double precision, y double precision) RETURNS point LANGUAGE sql IMMUTABLE AS $$ SELECT point(x, y) $$;
CREATE FUNCTION st_polygon(wkt text) RETURNS polygon LANGUAGE sql IMMUTABLE AS $$
  SELECT regexp_replace(regexp_replace(wkt, '^POLYGON \\((\\(.*\\))\\)$', '\\1'), '(-?[0-9.eE+-]+) (-?[0-9.eE+-]+)', '(\\1,\\2)', 'g')::polygon $$;
CREATE FUNCTION st_within(p point, g polygon) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT g @> p $$;
CREATE TYPE detail AS (eventtype text, trackername text, deviceid text, sampletime text, receivedtime text, position double precision[]);
CREATE SCHEMA edgetwin;
CREATE TABLE edgetwin.positions (id text, source text, "time" text, detail detail);
CREATE TABLE edgetwin.enriched (eventtype text, trackername text, deviceid text, sampletime text, receivedtime text,
  position double precision[], meetsemissionstandards boolean, mileage double precision, purchasedate text);
`

let server: PostgresHandle
let db: pg.Client
const queries = athenaNamedQueries(zone, { database: 'edgetwin', archiveTable: 'positions', enrichedTable: 'enriched' })
const named = (suffix: string) => queries.find((q) => q.name.endsWith(suffix))!.queryString

/** Binds Athena execution parameters (SQL literals, in order) to the `?` placeholders. */
function bind(sql: string, params: readonly string[]): string {
  let i = 0
  const out = sql.replace(/\?/g, () => params[i++] ?? '?')
  expect(i).toBe(params.length)
  return out
}

/** Trino's `double` is PostgreSQL's `double precision` (the only type name that differs in this SQL). */
const toPostgres = (sql: string) => sql.replace(/\bAS double\)/g, 'AS double precision)')

async function run(sql: string, params: readonly string[]) {
  const res = await db.query(toPostgres(bind(sql, params)))
  return res.rows as Array<Record<string, unknown>>
}

beforeAll(async () => {
  server = await startPostgres()
  db = await server.admin()
  await db.query(TRINO_SHIMS)
  for (const p of positions) {
    await db.query(
      `INSERT INTO edgetwin.positions VALUES ('e', 'aws.geo', $1, ROW('Position', 't', $2, $1, $1, ARRAY[$3, $4]::double precision[])::detail)`,
      [p.sampleTime, p.deviceId, p.lon, p.lat],
    )
  }
  for (const e of enriched) {
    await db.query(`INSERT INTO edgetwin.enriched VALUES ('Position', 't', $1, $2, $2, ARRAY[$3, $4]::double precision[], $5, $6, $7)`, [
      e.deviceId,
      e.sampleTime,
      e.lon,
      e.lat,
      e.meetsEmissionStandards,
      e.mileage,
      e.purchaseDate,
    ])
  }
  // The views as deployed; only the struct access differs in PostgreSQL's syntax.
  await db.query(named('-archive-view').replace(/\bdetail\./g, '(detail).'))
  await db.query(named('-enriched-view'))
}, 120_000)
afterAll(async () => {
  await db?.end()
  await server?.destroy()
})

const range = [`'${RANGE.from}'`, `'${RANGE.to}'`]

describe('Athena named queries and the local reports answer the same question', () => {
  it('days in zone per vehicle, zero days included, only in the range, at the given fee (UTC days and London days)', async () => {
    for (const [suffix, timeZone, expected] of [
      ['-days-in-zone-utc', 'UTC', EXPECTED.daysUtc],
      ['-days-in-zone-charging-day', 'Europe/London', EXPECTED.daysLondon],
    ] as const) {
      const local = daysInZoneReport(positions, zone, { range: RANGE, timeZone, dailyFee: FEE })
      expect(local.map(({ deviceId, daysInZone, charges }) => ({ deviceId, daysInZone, charges }))).toEqual(expected)
      const athena = await run(named(suffix), [...range, String(FEE)])
      expect(athena.map((r) => ({ deviceId: r.deviceid, daysInZone: Number(r.days_in_zone), charges: Number(r.charges) }))).toEqual(
        expected,
      )
    }
  })

  it('replacement candidates: earliest purchase date, highest mileage in the range, age to the range end, no division by zero', async () => {
    const local = replacementReport(enriched, zone, { range: RANGE, timeZone: 'UTC' })
    expect(local).toEqual(EXPECTED.replacementUtc)
    const rows = (await run(named('-replacement-utc'), range)).map((r) => ({
      deviceId: r.deviceid,
      purchaseDate: (r.purchasedate as Date).toISOString().slice(0, 10),
      mileage: Number(r.mileage),
      ageYears: Number(r.age_years),
      daysInZone: Number(r.days_in_zone),
      mileagePerYear: Number(r.mileage_per_year),
    }))
    expect(rows).toEqual(EXPECTED.replacementUtc)
    const london = await run(named('-replacement-charging-day'), range)
    const localLondon = replacementReport(enriched, zone, { range: RANGE, timeZone: 'Europe/London' })
    expect(Object.fromEntries(london.map((r) => [r.deviceid, Number(r.days_in_zone)]))).toEqual(EXPECTED.replacementLondonDays)
    expect(Object.fromEntries(localLondon.map((r) => [r.deviceId, r.daysInZone]))).toEqual(EXPECTED.replacementLondonDays)
  })

  it('a shorter range changes both the same way', async () => {
    const week = { from: '2026-10-01', to: '2026-10-07' }
    const local = daysInZoneReport(positions, zone, { range: week, timeZone: 'UTC', dailyFee: FEE })
    const athena = await run(named('-days-in-zone-utc'), [`'${week.from}'`, `'${week.to}'`, String(FEE)])
    expect(athena.map((r) => [r.deviceid, Number(r.days_in_zone)])).toEqual(local.map((r) => [r.deviceId, r.daysInZone]))
    // van-01: 10-01 and 10-07 only.
    expect(local[0]).toMatchObject({ deviceId: 'van-01', daysInZone: 2 })
  })
})
