import { buildTwinDetector, type DetectorContext, type DetectorTickResult, type ScheduledEvent } from './build-twin-detector.js'

let built: ((event: ScheduledEvent) => Promise<DetectorTickResult>) | undefined

/** The Lambda entry point: an EventBridge schedule (every 10 minutes) runs one tick of the twin loop. */
export async function handler(event: ScheduledEvent, context?: DetectorContext): Promise<DetectorTickResult> {
  // Built once per execution environment and reused across invocations (Lambda best practice: init outside the handler).
  built ??= buildTwinDetector(process.env, context)
  return built(event)
}
