import { DateTime } from 'luxon'
import { FleetError } from '../fleet/errors.js'
import { chargingDayOrUndefined, type DayRange, DEFAULT_CHARGING_TIME_ZONE } from './charging-day.js'
import type { Zone } from './zone.js'

/** One position, whichever storage it was read from. */
export interface PositionRow {
  readonly deviceId: string
  readonly sampleTime: string
  readonly lon: number
  readonly lat: number
}

/** A position from the enriched objects: the maintenance attributes joined at write time (null when unknown). */
export interface EnrichedRow extends PositionRow {
  readonly meetsEmissionStandards: boolean | null
  readonly mileage: number | null
  readonly purchaseDate: string | null
}

export interface ReportOptions {
  readonly range: DayRange
  /** @default 'Europe/London' */
  readonly timeZone?: string
  /**
   * Counts rows the report could not use (a sample time that is no real instant, e.g. 2026-02-30 stored before
   * timestamps were checked at the boundary). One such row is skipped and counted; it never fails the report.
   */
  readonly skipped?: { count: number }
}

function dayOf(row: PositionRow, timeZone: string, options: ReportOptions): string | undefined {
  const day = chargingDayOrUndefined(row.sampleTime, timeZone)
  if (day === undefined && options.skipped) options.skipped.count++
  return day
}

export interface DaysInZoneRow {
  readonly deviceId: string
  readonly daysInZone: number
  readonly charges: number
  /** The charging days with at least one position inside the zone, ascending. */
  readonly days: readonly string[]
}

/** Per device, the set of charging days in `range` with at least one position inside the zone. */
export function zoneDaysByDevice(rows: Iterable<PositionRow>, zone: Zone, options: ReportOptions): Map<string, Set<string>> {
  const timeZone = options.timeZone ?? DEFAULT_CHARGING_TIME_ZONE
  const { from, to } = options.range
  const byDevice = new Map<string, Set<string>>()
  for (const row of rows) {
    const day = dayOf(row, timeZone, options)
    if (day === undefined) continue
    if (!byDevice.has(row.deviceId)) byDevice.set(row.deviceId, new Set())
    if (day < from || day > to) continue
    if (zone.contains(row.lon, row.lat)) byDevice.get(row.deviceId)!.add(day)
  }
  return byDevice
}

/**
 * Days inside the zone and charges per vehicle: the reference architecture's
 * `COUNT(DISTINCT DATE(sampletime)) WHERE insidezone` × daily fee, but with charging days in `timeZone`.
 * Every vehicle seen in the data gets a row (zero days included), ordered by days descending then id.
 */
export function daysInZoneReport(
  rows: Iterable<PositionRow>,
  zone: Zone,
  options: ReportOptions & { readonly dailyFee: number },
): DaysInZoneRow[] {
  if (!(options.dailyFee >= 0)) throw new FleetError('CLOUD_REPORT_INVALID', `daily fee must be a number ≥ 0, got ${options.dailyFee}`)
  const out: DaysInZoneRow[] = []
  for (const [deviceId, days] of zoneDaysByDevice(rows, zone, options)) {
    // Charges in pence first so 12.5 × 3 is exactly 37.5, not a binary-float neighbour.
    const charges = Math.round(days.size * Math.round(options.dailyFee * 100)) / 100
    out.push({ deviceId, daysInZone: days.size, charges, days: [...days].sort() })
  }
  return out.sort((a, b) => b.daysInZone - a.daysInZone || a.deviceId.localeCompare(b.deviceId))
}

export interface ReplacementRow {
  readonly deviceId: string
  readonly purchaseDate: string
  /** The highest mileage seen in the range (the reference query's `MAX(mileage)`). */
  readonly mileage: number
  readonly ageYears: number
  readonly daysInZone: number
  /** mileage / age; mileage itself when the vehicle is less than a year old would divide by a fraction. */
  readonly mileagePerYear: number
}

/**
 * Vehicles that do not meet the emission standards, for replacement: purchase date, mileage, age in years,
 * days in zone, mileage per year, highest mileage per year first (the reference architecture's second query).
 * Age is whole and fractional years from purchase to the end of the range, at least 1/365 so it never divides by 0.
 */
export function replacementReport(rows: Iterable<EnrichedRow>, zone: Zone, options: ReportOptions): ReplacementRow[] {
  const timeZone = options.timeZone ?? DEFAULT_CHARGING_TIME_ZONE
  const { from, to } = options.range
  const vehicles = new Map<string, { purchaseDate: string; mileage: number; days: Set<string> }>()
  for (const row of rows) {
    if (row.meetsEmissionStandards !== false || row.purchaseDate === null || row.mileage === null) continue
    const day = dayOf(row, timeZone, options)
    if (day === undefined || day < from || day > to) continue
    let v = vehicles.get(row.deviceId)
    if (!v) {
      v = { purchaseDate: row.purchaseDate, mileage: row.mileage, days: new Set() }
      vehicles.set(row.deviceId, v)
    }
    v.mileage = Math.max(v.mileage, row.mileage)
    if (row.purchaseDate < v.purchaseDate) v.purchaseDate = row.purchaseDate
    if (zone.contains(row.lon, row.lat)) v.days.add(day)
  }
  const asOf = DateTime.fromISO(to, { zone: 'utc' }).plus({ days: 1 })
  const out: ReplacementRow[] = []
  for (const [deviceId, v] of vehicles) {
    const years = asOf.diff(DateTime.fromISO(v.purchaseDate, { zone: 'utc' }), 'years').years
    const ageYears = Math.max(years, 1 / 365)
    out.push({
      deviceId,
      purchaseDate: v.purchaseDate,
      mileage: v.mileage,
      ageYears: Math.round(ageYears * 100) / 100,
      daysInZone: v.days.size,
      mileagePerYear: Math.round(v.mileage / ageYears),
    })
  }
  return out.sort((a, b) => b.mileagePerYear - a.mileagePerYear || a.deviceId.localeCompare(b.deviceId))
}
