import type { DeviceEvent, GatewayAggregate, ThresholdAlarmConfig } from '@edgetwin/shared-schemas'
import type { ClosedWindow } from './window-aggregator.js'

export interface AlarmHit {
  readonly alarm: ThresholdAlarmConfig
  readonly value: number
  readonly threshold: number
  readonly direction: 'above' | 'below'
}

/** The threshold alarms a closed window raises (pure). A value equal to the threshold does not raise. */
export function evaluateAlarms(window: ClosedWindow, alarms: readonly ThresholdAlarmConfig[]): AlarmHit[] {
  const hits: AlarmHit[] = []
  for (const alarm of alarms) {
    if (alarm.metric !== window.metric) continue
    const value = window[alarm.stat]
    if (alarm.above !== undefined && value > alarm.above) hits.push({ alarm, value, threshold: alarm.above, direction: 'above' })
    else if (alarm.below !== undefined && value < alarm.below) hits.push({ alarm, value, threshold: alarm.below, direction: 'below' })
  }
  return hits
}

/** What one closed window produces: its aggregate record and one event per alarm raised. */
export interface WindowResult {
  readonly window: ClosedWindow
  readonly aggregate: GatewayAggregate
  readonly events: DeviceEvent[]
  readonly alarmNames: string[]
}

/**
 * The records one closed window produces. `upstreamId` maps the site's device id to the id that leaves the
 * site (a pseudonym when configured); the window itself keeps the real id for the site's own results table.
 */
export function windowResult(
  window: ClosedWindow,
  alarms: readonly ThresholdAlarmConfig[],
  upstreamId: (deviceId: string) => string = (id) => id,
): WindowResult {
  const hits = evaluateAlarms(window, alarms)
  const sourceId = upstreamId(window.deviceId)
  const windowStart = new Date(window.windowStartMs).toISOString()
  const windowEnd = new Date(window.windowEndMs).toISOString()
  const alarmNames = hits.map((h) => h.alarm.name)
  const aggregate: GatewayAggregate = {
    windowStart,
    windowEnd,
    sourceId,
    metric: window.metric,
    count: window.count,
    mean: window.mean,
    min: window.min,
    max: window.max,
    p95: window.p95,
    ...(alarmNames.length > 0 ? { alarms: alarmNames } : {}),
  }
  const events: DeviceEvent[] = hits.map((h) => ({
    time: windowEnd,
    type: 'gateway.threshold',
    severity: h.alarm.severity,
    message: `${h.alarm.name}: ${h.alarm.stat} of ${window.metric} on ${sourceId} is ${h.value}, ${h.direction} ${h.threshold}`,
    data: {
      alarm: h.alarm.name,
      sourceId,
      metric: window.metric,
      stat: h.alarm.stat,
      value: h.value,
      threshold: h.threshold,
      windowStart,
    },
  }))
  return { window, aggregate, events, alarmNames }
}
