import { GatewayAggregate, TurbineSample } from '@edgetwin/shared-schemas'
import { describe, expect, it } from 'vitest'
import { AGGREGATE_MEASURES, TURBINE_MEASURES } from './to-sink.js'

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
