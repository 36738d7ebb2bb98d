import { createValidator, KinesisIngestRecord } from '@edgetwin/shared-schemas'
import type { Logger } from 'pino'
import type { DeadLetterStore } from '../router/dead-letter-store.js'
import type { Router } from '../router/router.js'

/** The part of a Kinesis Data Streams event Lambda delivers that the router reads (Lambda developer guide, "Kinesis"). */
export interface KinesisStreamEvent {
  readonly Records: ReadonlyArray<{
    readonly eventID?: string
    readonly kinesis: { readonly data: string; readonly sequenceNumber: string; readonly partitionKey?: string }
  }>
}

/** ReportBatchItemFailures response: Lambda retries from the lowest sequence number listed. */
export interface KinesisBatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>
}

const ingestRecord = createValidator(KinesisIngestRecord)

export interface KinesisRouterDeps {
  readonly router: Router
  readonly deadLetters: DeadLetterStore
  readonly logger: Logger
  readonly now?: () => Date
}

/**
 * Routes a Kinesis batch in shard order. A record that cannot be parsed is a dead letter (a retry would not fix
 * it); a sink failure stops the batch and reports that record, so Lambda retries it and everything after it, and
 * nothing after it is routed ahead of it (which would raise the high-water marks past the failed records).
 */
export function createKinesisRouterHandler(deps: KinesisRouterDeps): (event: KinesisStreamEvent) => Promise<KinesisBatchResponse> {
  const now = deps.now ?? (() => new Date())
  return async (event) => {
    for (const record of event.Records) {
      const seq = record.kinesis.sequenceNumber
      let parsed: KinesisIngestRecord
      try {
        const value: unknown = JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8'))
        parsed = ingestRecord.parse(value)
      } catch (err) {
        const raw = Buffer.from(record.kinesis.data, 'base64')
        await deps.deadLetters.put({
          receivedAt: now().toISOString(),
          topic: record.kinesis.partitionKey ?? '(kinesis)',
          reason: 'ENVELOPE_MALFORMED',
          message: `Kinesis record is not the topic rule's {topic, payload}: ${(err as Error).message}`.slice(0, 1000),
          payloadBytes: raw.length,
          payload: raw.subarray(0, 1024),
        })
        continue
      }
      try {
        await deps.router.handle(parsed.topic, Buffer.from(parsed.payload, 'base64'))
      } catch (err) {
        deps.logger.error({ err, sequenceNumber: seq, topic: parsed.topic }, 'routing failed; Lambda will retry from this record')
        return { batchItemFailures: [{ itemIdentifier: seq }] }
      }
    }
    return { batchItemFailures: [] }
  }
}
