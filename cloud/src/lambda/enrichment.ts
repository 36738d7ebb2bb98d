import { buildEnrichmentLambda } from './build-enrichment-lambda.js'

let built: ((event: unknown) => Promise<{ key: string }>) | undefined

/**
 * The Lambda entry point: target of the EventBridge rule on `aws.geo` "Location Device Position Event", whose input
 * transformer hands over `{EventType, TrackerName, DeviceId, SampleTime, ReceivedTime, Position: [lon, lat]}`.
 */
export async function handler(event: unknown): Promise<{ key: string }> {
  // Built once per execution environment and reused across invocations (Lambda best practice: init outside the handler).
  built ??= buildEnrichmentLambda(process.env)
  return built(event)
}
