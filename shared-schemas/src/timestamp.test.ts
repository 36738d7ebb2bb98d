import { describe, expect, it } from 'vitest'
import { decodeEnvelope } from './codec.js'
import { SchemaError } from './errors.js'
import { isIsoTimestamp, isoTimestampProblem } from './ids.js'
import { validators } from './validators.js'

const position = (sampleTime: string) => ({ sampleTime, lat: 51.5, lon: -0.12 })

describe('IsoTimestamp: real calendar times only', () => {
  it.each([
    ['2026-02-30T10:00:00Z', 'day 30 does not exist in 2026-02 (01-28)'],
    ['2025-02-29T10:00:00Z', 'day 29 does not exist in 2025-02 (01-28)'],
    ['2026-04-31T10:00:00Z', 'day 31 does not exist in 2026-04 (01-30)'],
    ['2026-06-29T24:00:00Z', 'hour 24 is not 00-23'],
    ['2026-06-29T10:60:00Z', 'minute 60 is not 00-59'],
    ['2026-06-29T10:00:60Z', 'second 60 is not 00-59'],
    ['2026-13-01T10:00:00Z', 'month 13 is not 01-12'],
  ])('rejects %s with the reason: %s', (value, reason) => {
    expect(isoTimestampProblem(value)).toBe(reason)
    expect(validators.VehiclePosition.check(position(value))).toBe(false)
    const errors = validators.VehiclePosition.errors(position(value))
    expect(errors).toEqual([{ path: '/sampleTime', message: `'${value}' is not a real UTC time YYYY-MM-DDThh:mm:ss[.fff]Z: ${reason}` }])
  })

  it.each(['2024-02-29T10:00:00Z', '2000-02-29T23:59:59.999Z', '2026-12-31T00:00:00.123456789Z'])('accepts %s', (value) => {
    expect(isIsoTimestamp(value)).toBe(true)
    expect(validators.VehiclePosition.check(position(value))).toBe(true)
  })

  it('agrees with the calendar of Date.UTC for every day of the years 1600-2400', () => {
    const pad = (n: number, w = 2) => String(n).padStart(w, '0')
    let disagreements = 0
    let real = 0
    for (let y = 1600; y <= 2400; y++) {
      for (let m = 1; m <= 12; m++) {
        for (let d = 1; d <= 31; d++) {
          const value = `${pad(y, 4)}-${pad(m)}-${pad(d)}T12:34:56Z`
          const exists = new Date(Date.UTC(y, m - 1, d)).getUTCDate() === d
          if (exists) real++
          if (isIsoTimestamp(value) !== exists || validators.VehiclePosition.check(position(value)) !== exists) disagreements++
        }
      }
    }
    expect(disagreements).toBe(0)
    // 801 years of 365 days plus the leap days (195 in 1600-2400).
    expect(real).toBe(801 * 365 + 195)
  })

  it('rejects 1900-02-29 (a century that is not a leap year) and a missing Z', () => {
    expect(isoTimestampProblem('1900-02-29T00:00:00Z')).toBe('day 29 does not exist in 1900-02 (01-28)')
    expect(validators.VehiclePosition.check(position('2026-06-29T10:00:00'))).toBe(false)
  })

  it('refuses an envelope whose record has an impossible date, naming the record and field', () => {
    const payload = Buffer.from(
      JSON.stringify({
        deviceId: 'van-1',
        kind: 'vehicle',
        stream: 'position',
        schemaVersion: 1,
        firstSeq: 1,
        lastSeq: 2,
        records: [
          { seq: 1, data: position('2026-02-28T10:00:00Z') },
          { seq: 2, data: position('2026-02-30T10:00:00Z') },
        ],
      }),
    )
    let caught: unknown
    try {
      decodeEnvelope(payload)
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(SchemaError)
    expect((caught as SchemaError).errors).toContainEqual({
      path: '/records/1/data/sampleTime',
      message: "'2026-02-30T10:00:00Z' is not a real UTC time YYYY-MM-DDThh:mm:ss[.fff]Z: day 30 does not exist in 2026-02 (01-28)",
    })
  })
})
