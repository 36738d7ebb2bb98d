import { validators } from '@edgetwin/shared-schemas'
import { describe, expect, it } from 'vitest'
import { evaluateAlarms, windowResult } from './alarms.js'
import type { ClosedWindow } from './window-aggregator.js'

const window: ClosedWindow = {
  deviceId: 'pump-1',
  metric: 'pressureKpa',
  windowStartMs: Date.UTC(2024, 0, 1, 12, 0),
  windowEndMs: Date.UTC(2024, 0, 1, 12, 1),
  count: 10,
  mean: 150,
  min: 90,
  max: 220,
  p95: 210,
}
const alarm = (
  name: string,
  stat: 'max' | 'min' | 'p95' | 'mean' | 'count',
  bounds: { above?: number; below?: number },
  metric = 'pressureKpa',
) => ({
  name,
  metric,
  stat,
  severity: 'critical' as const,
  ...bounds,
})

describe('threshold alarms', () => {
  it('raises an alarm above or below its threshold, not at it, and only for its metric', () => {
    const hits = evaluateAlarms(window, [
      alarm('overpressure', 'p95', { above: 200 }),
      alarm('at-threshold', 'max', { above: 220 }),
      alarm('underpressure', 'min', { below: 100 }),
      alarm('other-metric', 'max', { above: 0 }, 'tempC'),
    ])
    expect(hits.map((h) => [h.alarm.name, h.value, h.direction])).toEqual([
      ['overpressure', 210, 'above'],
      ['underpressure', 90, 'below'],
    ])
  })

  it('produces a valid aggregate naming its alarms and one valid event per alarm', () => {
    const result = windowResult(window, [alarm('overpressure', 'p95', { above: 200 })])
    expect(validators.GatewayAggregate.check(result.aggregate)).toBe(true)
    expect(result.aggregate).toMatchObject({
      windowStart: '2024-01-01T12:00:00.000Z',
      sourceId: 'pump-1',
      count: 10,
      alarms: ['overpressure'],
    })
    expect(result.events).toHaveLength(1)
    expect(validators.DeviceEvent.parse(result.events[0])).toMatchObject({ type: 'gateway.threshold', severity: 'critical' })
    expect(windowResult(window, []).aggregate).not.toHaveProperty('alarms')
  })
})
