import { randomUUID } from 'node:crypto'
import type { LocationDevicePositionEvent } from '@edgetwin/shared-schemas'
import type { StoredDevicePosition } from './position-tracker.js'

export interface PositionEventContext {
  readonly trackerName: string
  /** 12 digits; the local default is all zeros. */
  readonly account: string
  readonly region: string
  readonly newId?: () => string
}

/**
 * The event Amazon Location sends to the EventBridge default bus for a stored position ("React to Amazon Location
 * Service events with Amazon EventBridge"): `time` is when the position was received, the tracker ARN is the resource.
 */
export function toPositionEvent(stored: StoredDevicePosition, ctx: PositionEventContext): LocationDevicePositionEvent {
  return {
    version: '0',
    id: (ctx.newId ?? randomUUID)(),
    'detail-type': 'Location Device Position Event',
    source: 'aws.geo',
    account: ctx.account,
    // EventBridge writes `time` in whole seconds (e.g. 2026-06-29T10:00:05Z); ReceivedTime keeps the milliseconds.
    time: stored.receivedTime.replace(/\.\d+Z$/, 'Z'),
    region: ctx.region,
    resources: [`arn:aws:geo:${ctx.region}:${ctx.account}:tracker/${ctx.trackerName}`],
    detail: {
      EventType: 'UPDATE',
      TrackerName: ctx.trackerName,
      DeviceId: stored.deviceId,
      SampleTime: stored.sampleTime,
      ReceivedTime: stored.receivedTime,
      Position: [stored.position[0], stored.position[1]],
      ...(stored.accuracyM !== undefined ? { Accuracy: { Horizontal: stored.accuracyM } } : {}),
    },
  }
}
