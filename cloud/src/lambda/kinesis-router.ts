import { buildLambdaRouter } from './build-lambda-router.js'
import type { KinesisBatchResponse, KinesisStreamEvent } from './kinesis-router-core.js'

let built: ((event: KinesisStreamEvent) => Promise<KinesisBatchResponse>) | undefined

/** The Lambda entry point (Kinesis event source mapping with `FunctionResponseTypes: ["ReportBatchItemFailures"]`). */
export async function handler(event: KinesisStreamEvent): Promise<KinesisBatchResponse> {
  // Built once per execution environment and reused across invocations (Lambda best practice: init outside the handler).
  built ??= buildLambdaRouter(process.env)
  return built(event)
}
