import * as events from 'aws-cdk-lib/aws-events'

/** Where each field of the enrichment function's input comes from in a Location Device Position Event. */
export const REFERENCE_INPUT_PATHS = {
  EventType: '$.detail.EventType',
  TrackerName: '$.detail.TrackerName',
  DeviceId: '$.detail.DeviceId',
  SampleTime: '$.detail.SampleTime',
  ReceivedTime: '$.detail.ReceivedTime',
  Position: '$.detail.Position',
} as const

/**
 * The reference architecture's input template. Placeholders are unquoted: EventBridge inserts each value as JSON
 * (strings with their quotes, `Position` as the `[lon, lat]` array), giving the shared `TransformedPositionEvent`.
 */
export const REFERENCE_INPUT_TEMPLATE =
  '{"EventType":<EventType>,"TrackerName":<TrackerName>,"DeviceId":<DeviceId>,"SampleTime":<SampleTime>,"ReceivedTime":<ReceivedTime>,"Position":<Position>}'

/**
 * An input transformer written out exactly; `RuleTargetInput.fromObject` would rename the variables after their
 * paths and reformat the template.
 */
export class ReferenceInputTransformer extends events.RuleTargetInput {
  // RuleTargetInput's constructor is protected; this one is public so that targets can be given an instance.
  // biome-ignore lint/complexity/noUselessConstructor: widens the protected constructor to public
  constructor() {
    super()
  }

  bind(_rule: events.IRuleRef): events.RuleTargetInputProperties {
    return { inputPathsMap: { ...REFERENCE_INPUT_PATHS }, inputTemplate: REFERENCE_INPUT_TEMPLATE }
  }
}
