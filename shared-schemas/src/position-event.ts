import Type, { type Static } from 'typebox'
import { DeviceId, IsoTimestamp } from './ids.js'

/**
 * Amazon Location's EventBridge event for a stored device position (Amazon Location developer guide,
 * "React to Amazon Location Service events with Amazon EventBridge"). Field names and order as AWS sends them.
 */
export const LocationDevicePositionDetail = Type.Object(
  {
    EventType: Type.Literal('UPDATE'),
    TrackerName: Type.String({ minLength: 1, maxLength: 100 }),
    DeviceId: DeviceId,
    SampleTime: IsoTimestamp,
    ReceivedTime: IsoTimestamp,
    Position: Type.Tuple([Type.Number({ minimum: -180, maximum: 180 }), Type.Number({ minimum: -90, maximum: 90 })]),
    Accuracy: Type.Optional(Type.Object({ Horizontal: Type.Number({ minimum: 0 }) }, { additionalProperties: false })),
    PositionProperties: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  { additionalProperties: false },
)
export type LocationDevicePositionDetail = Static<typeof LocationDevicePositionDetail>

export const LocationDevicePositionEvent = Type.Object(
  {
    version: Type.Literal('0'),
    id: Type.String({ minLength: 1 }),
    'detail-type': Type.Literal('Location Device Position Event'),
    source: Type.Literal('aws.geo'),
    account: Type.String({ pattern: '^\\d{12}$' }),
    time: IsoTimestamp,
    region: Type.String({ minLength: 1 }),
    resources: Type.Array(Type.String()),
    detail: LocationDevicePositionDetail,
  },
  { $id: 'LocationDevicePositionEvent', additionalProperties: false },
)
export type LocationDevicePositionEvent = Static<typeof LocationDevicePositionEvent>

/**
 * What the reference architecture's EventBridge input transformer hands the enrichment function:
 * `{"EventType","TrackerName","DeviceId","SampleTime","ReceivedTime","Position":[lon,lat]}`.
 */
export const TransformedPositionEvent = Type.Object(
  {
    EventType: Type.String(),
    TrackerName: Type.String(),
    DeviceId: DeviceId,
    SampleTime: IsoTimestamp,
    ReceivedTime: IsoTimestamp,
    Position: Type.Tuple([Type.Number({ minimum: -180, maximum: 180 }), Type.Number({ minimum: -90, maximum: 90 })]),
  },
  { $id: 'TransformedPositionEvent', additionalProperties: false },
)
export type TransformedPositionEvent = Static<typeof TransformedPositionEvent>
