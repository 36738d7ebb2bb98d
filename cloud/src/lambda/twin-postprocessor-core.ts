import { parseOutFile, summarizeOutput } from '@edgetwin/turbine-model'
import type { Logger } from 'pino'
import { CloudError } from '../errors.js'
import type { ObjectStore } from '../fleet/object-store.js'
import { simulationMetrics } from '../twin/metrics.js'

/** The part of an S3 event notification (event structure version 2.x) the post-processor reads. */
export interface S3ObjectCreatedEvent {
  readonly Records: ReadonlyArray<{
    readonly eventName?: string
    readonly eventTime?: string
    readonly s3: { readonly bucket: { readonly name: string }; readonly object: { readonly key: string; readonly size?: number } }
  }>
}

export interface PostProcessResult {
  /** Keys of the metrics objects written. */
  readonly written: string[]
  /** Keys skipped because they are not `.out` results. */
  readonly skipped: string[]
}

export interface TwinPostProcessorDeps {
  /** The object store of a bucket named in an event (S3 in the Lambda). */
  readonly objects: (bucket: string) => ObjectStore
  readonly thresholds: { readonly overspeedGeneratorRpm: number; readonly maxGeneratorTorqueNm: number }
  readonly logger: Logger
}

/** S3 event keys are URL-encoded with `+` for a space (S3 user guide, "Event message structure"). */
export function decodeS3EventKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '))
}

/** `results/<id>/simulation.out` → `results/<id>/simulation.metrics.json`, next to it. */
export function metricsKeyFor(outKey: string): string {
  return `${outKey.slice(0, -'.out'.length)}.metrics.json`
}

/**
 * Post-processes each simulation result the dispatch server uploaded (`POST /upload_to_s3` writes
 * `<prefix>/<id>/simulation.out`): the twin's metrics and turbine-model's summary, as `<base>.metrics.json`
 * beside the `.out`. Every record is tried; if any failed, the invocation throws a coded error naming them, so
 * Lambda's asynchronous retries and the function's dead-letter destination get the event (rewriting the metrics
 * of the records that did succeed is harmless: same input, same object).
 */
export function createTwinPostProcessor(deps: TwinPostProcessorDeps): (event: S3ObjectCreatedEvent) => Promise<PostProcessResult> {
  return async (event) => {
    const written: string[] = []
    const skipped: string[] = []
    const failed: Array<{ key: string; err: unknown }> = []
    for (const record of event.Records ?? []) {
      const bucket = record.s3.bucket.name
      const key = decodeS3EventKey(record.s3.object.key)
      if (!key.endsWith('.out')) {
        deps.logger.info({ bucket, key }, 'not a simulation .out result, skipped')
        skipped.push(key)
        continue
      }
      try {
        const store = deps.objects(bucket)
        const body = await store.get(key)
        if (!body) throw new CloudError('CLOUD_POSTPROCESS_FAILED', `s3://${bucket}/${key} named by the event does not exist`)
        const outText = body.toString('utf8')
        const summary = summarizeOutput(parseOutFile(outText), { overspeedGeneratorRpm: deps.thresholds.overspeedGeneratorRpm })
        // The seed is not in the .out file; the metrics are the same whatever seed is named here.
        const { seed: _seed, ...metrics } = simulationMetrics(0, outText, deps.thresholds)
        const metricsKey = metricsKeyFor(key)
        const document = { source: { bucket, key }, thresholds: deps.thresholds, metrics, summary }
        await store.put(metricsKey, `${JSON.stringify(document, null, 2)}\n`, 'application/json')
        deps.logger.info({ bucket, key, metricsKey, overspeedExceedances: metrics.overspeedExceedances }, 'simulation post-processed')
        written.push(metricsKey)
      } catch (err) {
        deps.logger.error({ err, bucket, key }, 'post-processing failed')
        failed.push({ key, err })
      }
    }
    if (failed.length > 0) {
      throw new CloudError(
        'CLOUD_POSTPROCESS_FAILED',
        `post-processing failed for ${failed.length} of ${event.Records.length} records: ${failed
          .map((f) => `${f.key} (${(f.err as Error).message})`)
          .join('; ')
          .slice(0, 2000)}`,
        { cause: failed[0]!.err },
      )
    }
    return { written, skipped }
  }
}
