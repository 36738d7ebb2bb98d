import { describe, expect, it } from 'vitest'
import { parseDayRange } from './charging-day.js'
import { daysInZoneReport, type EnrichedRow, replacementReport } from './reports.js'
import { zoneFromGeoJson } from './zone.js'

const zone = zoneFromGeoJson({
  type: 'Polygon',
  coordinates: [
    [
      [0, 0],
      [1, 0],
      [1, 1],
      [0, 1],
      [0, 0],
    ],
  ],
})
const IN = { lon: 0.5, lat: 0.5 }
const OUT = { lon: 2, lat: 2 }

describe('days-in-zone report', () => {
  it('counts distinct London charging days inside the zone and multiplies by the fee', () => {
    const rows = [
      { deviceId: 'a', sampleTime: '2026-07-01T08:00:00Z', ...IN },
      { deviceId: 'a', sampleTime: '2026-07-01T09:00:00Z', ...IN },
      { deviceId: 'a', sampleTime: '2026-07-01T23:30:00Z', ...IN }, // 00:30 BST on 2 July
      { deviceId: 'a', sampleTime: '2026-07-03T08:00:00Z', ...OUT },
      { deviceId: 'b', sampleTime: '2026-07-01T08:00:00Z', ...OUT },
      { deviceId: 'c', sampleTime: '2026-06-30T22:59:59Z', ...IN }, // 23:59:59 BST on 30 June: outside the range
    ]
    const report = daysInZoneReport(rows, zone, { range: parseDayRange('2026-07-01', '2026-07-31'), dailyFee: 12.5 })
    expect(report).toEqual([
      { deviceId: 'a', daysInZone: 2, charges: 25, days: ['2026-07-01', '2026-07-02'] },
      { deviceId: 'b', daysInZone: 0, charges: 0, days: [] },
      { deviceId: 'c', daysInZone: 0, charges: 0, days: [] },
    ])
    const utc = daysInZoneReport(rows, zone, { range: parseDayRange('2026-07-01', '2026-07-31'), dailyFee: 12.5, timeZone: 'UTC' })
    expect(utc[0]).toMatchObject({ deviceId: 'a', daysInZone: 1 })
  })

  it('skips and counts rows whose sample time is no real instant instead of failing the report', () => {
    const rows = [
      { deviceId: 'a', sampleTime: '2026-07-01T08:00:00Z', ...IN },
      { deviceId: 'a', sampleTime: '2026-02-30T10:00:00Z', ...IN },
      { deviceId: 'a', sampleTime: '2026-07-02T24:00:00Z', ...IN },
      { deviceId: 'b', sampleTime: '2026-07-02T10:00:60Z', ...IN },
      { deviceId: 'c', sampleTime: '2026-07-03T08:00:00Z', ...IN },
    ]
    const skipped = { count: 0 }
    const report = daysInZoneReport(rows, zone, { range: parseDayRange('2026-07-01', '2026-07-31'), dailyFee: 10, skipped })
    expect(report).toEqual([
      { deviceId: 'a', daysInZone: 1, charges: 10, days: ['2026-07-01'] },
      { deviceId: 'c', daysInZone: 1, charges: 10, days: ['2026-07-03'] },
    ])
    expect(skipped.count).toBe(3)
    const enriched = rows.map((r) => ({ ...r, meetsEmissionStandards: false, mileage: 1000, purchaseDate: '2020-01-01' }))
    const replacement = { count: 0 }
    const out = replacementReport(enriched, zone, { range: parseDayRange('2026-07-01', '2026-07-31'), skipped: replacement })
    expect(out.map((r) => [r.deviceId, r.daysInZone])).toEqual([
      ['a', 1],
      ['c', 1],
    ])
    expect(replacement.count).toBe(3)
  })
})

describe('replacement report', () => {
  const enriched = (
    deviceId: string,
    day: string,
    where: typeof IN,
    meets: boolean | null,
    mileage: number,
    purchaseDate: string,
  ): EnrichedRow => ({
    deviceId,
    sampleTime: `${day}T10:00:00Z`,
    ...where,
    meetsEmissionStandards: meets,
    mileage,
    purchaseDate,
  })

  it('lists only vehicles missing the standards, highest mileage per year first', () => {
    const rows = [
      enriched('old-low', '2026-07-01', IN, false, 40_000, '2016-07-02'), // 10 years → 4,000/yr
      enriched('new-high', '2026-07-01', IN, false, 30_000, '2024-07-02'), // 2 years → 15,000/yr
      enriched('new-high', '2026-07-02', OUT, false, 30_100, '2024-07-02'),
      enriched('clean', '2026-07-01', IN, true, 90_000, '2025-07-02'),
      enriched('unknown', '2026-07-01', IN, null, 90_000, '2025-07-02'),
    ]
    const report = replacementReport(rows, zone, { range: parseDayRange('2026-07-01', '2026-07-01') })
    expect(report.map((r) => r.deviceId)).toEqual(['new-high', 'old-low'])
    expect(report[0]).toEqual({
      deviceId: 'new-high',
      purchaseDate: '2024-07-02',
      mileage: 30_000,
      ageYears: 2,
      daysInZone: 1,
      mileagePerYear: 15_000,
    })
    expect(report[1]).toMatchObject({ ageYears: 10, mileagePerYear: 4_000, daysInZone: 1 })
  })
})
