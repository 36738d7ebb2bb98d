import { GatewayAggregate, TurbineSample } from '@edgetwin/shared-schemas'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { AGGREGATE_MEASURES, isoTimestampMs, TURBINE_MEASURES } from './to-sink.js'

/** Property names whose schema is a number or an integer. */
function numericProperties(schema: { properties: Record<string, { type?: unknown }> }): string[] {
  return Object.entries(schema.properties)
    .filter(([, p]) => p.type === 'number' || p.type === 'integer')
    .map(([k]) => k)
    .sort()
}

describe('time series measures', () => {
  // The SQLite time series stores a record's numeric members, copied from the envelope, as the point's measures.
  it('are exactly the numeric fields of each stream schema', () => {
    expect(numericProperties(TurbineSample as never)).toEqual([...TURBINE_MEASURES].sort())
    expect(numericProperties(GatewayAggregate as never)).toEqual([...AGGREGATE_MEASURES].sort())
  })
})

describe('isoTimestampMs', () => {
  it('reads every IsoTimestamp as Date.parse does, with 0 to 9 fraction digits', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }),
        fc.stringMatching(/^\d{0,9}$/),
        (date, fraction) => {
          const iso = `${date.toISOString().slice(0, 19)}${fraction ? `.${fraction}` : ''}Z`
          expect(isoTimestampMs(iso)).toBe(Date.parse(iso))
        },
      ),
      { numRuns: 2000 },
    )
  })
})
