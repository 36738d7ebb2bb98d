import { buildTwinPostProcessor } from './build-twin-postprocessor.js'
import type { PostProcessResult, S3ObjectCreatedEvent } from './twin-postprocessor-core.js'

let built: ((event: S3ObjectCreatedEvent) => Promise<PostProcessResult>) | undefined

/** The Lambda entry point: S3 ObjectCreated notifications for `*.out` under the results prefix. */
export async function handler(event: S3ObjectCreatedEvent): Promise<PostProcessResult> {
  // Built once per execution environment and reused across invocations (Lambda best practice: init outside the handler).
  built ??= buildTwinPostProcessor(process.env)
  return built(event)
}
