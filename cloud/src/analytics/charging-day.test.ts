import { describe, expect, it } from 'vitest'
import { chargingDay, parseDayRange, rangeInstants, utcDay } from './charging-day.js'

describe('charging days', () => {
  it('counts 23:30 UTC during British Summer Time for the next London day', () => {
    expect(chargingDay('2026-07-01T23:30:00Z')).toBe('2026-07-02')
    expect(utcDay('2026-07-01T23:30:00Z')).toBe('2026-07-01')
  })

  it('keeps 23:30 UTC in winter (GMT = UTC) on the same day', () => {
    expect(chargingDay('2026-01-15T23:30:00Z')).toBe('2026-01-15')
  })

  it('follows the clock change: 00:30 UTC on the last Sunday of October 2026 is still BST', () => {
    // BST ends 2026-10-25 at 01:00 UTC.
    expect(chargingDay('2026-10-24T23:30:00Z')).toBe('2026-10-25')
    expect(chargingDay('2026-10-25T23:30:00Z')).toBe('2026-10-25')
  })

  it('uses another time zone when configured', () => {
    expect(chargingDay('2026-07-01T23:30:00Z', 'UTC')).toBe('2026-07-01')
    expect(chargingDay('2026-07-01T20:30:00Z', 'Asia/Tokyo')).toBe('2026-07-02')
  })

  it('covers a London day range with UTC instants', () => {
    const { startMs, endMs } = rangeInstants(parseDayRange('2026-07-01', '2026-07-01'))
    expect(new Date(startMs).toISOString()).toBe('2026-06-30T23:00:00.000Z')
    expect(new Date(endMs).toISOString()).toBe('2026-07-01T23:00:00.000Z')
  })

  it('rejects a reversed or malformed range', () => {
    expect(() => parseDayRange('2026-07-02', '2026-07-01')).toThrow(/after/)
    expect(() => parseDayRange('2026-02-30', '2026-03-01')).toThrow(/YYYY-MM-DD/)
  })
})
