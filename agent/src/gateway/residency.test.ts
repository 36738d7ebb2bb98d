import { describe, expect, it } from 'vitest'
import { ResidencyGate } from './residency.js'

const aggregate = {
  windowStart: '2024-01-01T12:00:00.000Z',
  windowEnd: '2024-01-01T12:01:00.000Z',
  sourceId: 'pump-1',
  metric: 'pressureKpa',
  count: 10,
  mean: 150,
  min: 90,
  max: 220,
  p95: 210,
}
const event = {
  time: '2024-01-01T12:01:00.000Z',
  type: 'gateway.threshold',
  severity: 'critical',
  message: 'p95 of pressureKpa is 210',
  data: { alarm: 'overpressure', sourceId: 'pump-1', value: 210 },
}
const gate = () =>
  new ResidencyGate({
    allow: [
      { stream: 'aggregate', fields: ['windowStart', 'windowEnd', 'sourceId', 'metric', 'count', 'mean', 'max'] },
      { stream: 'events', fields: ['time', 'type', 'severity', 'data.alarm'] },
    ],
  })

describe('ResidencyGate', () => {
  it('keeps only the allowed fields of an allowed stream', () => {
    const g = gate()
    const d = g.apply('aggregate', aggregate)
    expect(d).toEqual({
      allowed: true,
      removedFields: 2,
      record: {
        windowStart: aggregate.windowStart,
        windowEnd: aggregate.windowEnd,
        sourceId: 'pump-1',
        metric: 'pressureKpa',
        count: 10,
        mean: 150,
        max: 220,
      },
    })
    expect(aggregate.p95).toBe(210) // input untouched
  })

  it('keeps only the allowed keys of an event data object', () => {
    expect(gate().apply('events', event)).toMatchObject({
      allowed: true,
      record: { time: event.time, type: event.type, severity: 'critical', data: { alarm: 'overpressure' } },
    })
  })

  it('refuses a stream that is not on the allow-list, and counts it', () => {
    const g = gate()
    const raw = {
      time: '2024-01-01T12:00:00Z',
      windSpeedMps: 3,
      rotorSpeedRpm: 1,
      generatorSpeedRpm: 1,
      generatorPowerKw: 1,
      generatorTorqueKnm: 1,
      bladePitchDeg: 0,
      alarms: [],
    }
    expect(g.apply('metrics', raw)).toEqual({ allowed: false, reason: 'stream-not-allowed' })
    expect(g.apply('health', {})).toEqual({ allowed: false, reason: 'stream-not-allowed' })
    expect(g.counters()).toEqual({ allowed: 0, denied: 2, fieldsRemoved: 0 })
  })

  it('refuses a record with fields its stream does not have (a raw row in disguise) instead of trimming it', () => {
    expect(gate().apply('aggregate', { ...aggregate, row: { patient: 'x' } })).toEqual({ allowed: false, reason: 'invalid-record' })
  })

  it('rejects a policy that drops a required field or names an unknown one, with a message saying which', () => {
    const bad = (fields: string[]) => () => new ResidencyGate({ allow: [{ stream: 'aggregate', fields }] })
    expect(bad(['windowStart', 'windowEnd', 'sourceId', 'metric'])).toThrow(/required field\(s\) count/)
    expect(bad(['windowStart', 'windowEnd', 'sourceId', 'metric', 'count', 'rawValue'])).toThrow(/'rawValue'/)
    expect(bad(['count'])).toThrow(expect.objectContaining({ code: 'AGENT_GATEWAY_CONFIG' }))
  })
})
