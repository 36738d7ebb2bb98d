import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { SNSClient } from '@aws-sdk/client-sns'
import { TimestreamQueryClient } from '@aws-sdk/client-timestream-query'
import { CloudTwinConfig, createValidator, parseConfig, parseLambdaEnv, TwinDetectorLambdaEnv } from '@edgetwin/shared-schemas'
import { pino } from 'pino'
import { CloudError } from '../errors.js'
import { createS3ObjectStore } from '../fleet/s3-object-store.js'
import { AwsJobsService } from '../jobs/aws-jobs-service.js'
import { createKmsJobSigner } from '../jobs/signing/kms-job-signer.js'
import { createInfluxTimeSeriesStore } from '../sinks/time-series/influx-time-series-store.js'
import { createTimestreamTurbineSeries } from '../sinks/time-series/timestream-turbine-series.js'
import { createTurbineSeries } from '../sinks/time-series/turbine-series.js'
import { dispatchClientFromConfig } from '../twin/dispatch-client.js'
import { twinJobsFrom } from '../twin/jobs-adapter.js'
import { createSnsNotifier } from '../twin/notifier.js'
import { createObjectDecisionLog } from '../twin/object-decision-log.js'
import type { TurbineSeries } from '../twin/ports.js'
import { TwinLoop } from '../twin/twin-loop.js'
import { endpointConfig } from './aws-endpoints.js'
import { lambdaInfluxOptions, resolveInfluxCredentials } from './influx-env.js'
import { createSecretsManagerReader, onceSucceeded, secretSource } from './secrets.js'

const envValidator = createValidator(TwinDetectorLambdaEnv)
const twinValidator = createValidator(CloudTwinConfig)

/** The part of an EventBridge scheduled event the detector reads: `time`, the scheduled time of this run. */
export interface ScheduledEvent {
  readonly time?: string
}

/** The Lambda context's function ARN, `arn:aws:lambda:<region>:<account>:function:<name>`. */
export interface DetectorContext {
  readonly invokedFunctionArn?: string
}

export interface DetectorTickResult {
  readonly at: string
  readonly turbines: number
  readonly decisions: Array<{ deviceId: string; action: 'update' | 'none' | 'defer'; jobId: string | null; decisionId: string }>
}

function twinConfig(json: string | undefined, dispatchUrl: string, topicArn: string): CloudTwinConfig {
  let overrides: Record<string, unknown> = {}
  if (json !== undefined) {
    try {
      overrides = JSON.parse(json) as Record<string, unknown>
    } catch (err) {
      throw new CloudError('CLOUD_CONFIG_INVALID', `TWIN_CONFIG_JSON is not JSON: ${(err as Error).message}`, { cause: err })
    }
  }
  const dispatch = { ...(overrides['dispatch'] as object | undefined), url: dispatchUrl }
  // The schedule is the EventBridge rule's and the notifier is the stack's topic: only the loop's own settings vary.
  return parseConfig(twinValidator, { ...overrides, enabled: true, dispatch, notifier: { type: 'sns', topicArn } }) as CloudTwinConfig
}

/**
 * Builds one tick of the twin loop on the AWS adapters from the Lambda environment (the only place it is read):
 * series from Timestream (Query) or Timestream for InfluxDB, simulations on the dispatch server behind the ALB,
 * jobs in AWS IoT, notifications on SNS, decisions (and with them cooldowns) as objects in S3. The dispatch token
 * and InfluxDB credentials are read from Secrets Manager on the first tick and kept for the environment's life.
 */
export function buildTwinDetector(
  env: Readonly<Record<string, string | undefined>>,
  context: DetectorContext = {},
): (event: ScheduledEvent) => Promise<DetectorTickResult> {
  const config: Readonly<TwinDetectorLambdaEnv> = parseLambdaEnv(envValidator, env)
  const logger = pino({ level: config.LOG_LEVEL, redact: ['*.token', '*.password', '*.authorization', 'DISPATCH_TOKEN', 'INFLUX_TOKEN'] })
  const twin = twinConfig(config.TWIN_CONFIG_JSON, config.DISPATCH_URL, config.TOPIC_ARN)
  const accountId = config.AWS_ACCOUNT_ID ?? context.invokedFunctionArn?.split(':')[4]
  if (!accountId || !/^[0-9]{12}$/.test(accountId)) {
    throw new CloudError('CLOUD_CONFIG_INVALID', 'the detector needs AWS_ACCOUNT_ID or a function ARN to name the things jobs target')
  }
  const dispatchToken = secretSource(
    'DISPATCH_TOKEN',
    config.DISPATCH_TOKEN,
    'DISPATCH_TOKEN_SECRET_ARN',
    config.DISPATCH_TOKEN_SECRET_ARN,
    true,
  )
  if (config.TIMESERIES_ADAPTER === 'timestream' && (!config.TIMESTREAM_DATABASE || !config.TIMESTREAM_TABLE)) {
    throw new CloudError('CLOUD_CONFIG_INVALID', 'TIMESERIES_ADAPTER=timestream needs TIMESTREAM_DATABASE and TIMESTREAM_TABLE')
  }
  const influxSecret =
    config.TIMESERIES_ADAPTER === 'influxdb'
      ? secretSource('INFLUX_TOKEN', config.INFLUX_TOKEN, 'INFLUX_TOKEN_SECRET_ARN', config.INFLUX_TOKEN_SECRET_ARN, false)
      : undefined
  // Checked now, so a missing variable fails the cold start rather than the first tick.
  if (config.TIMESERIES_ADAPTER === 'influxdb') lambdaInfluxOptions(config, undefined, logger)
  const readSecret = createSecretsManagerReader(
    new SecretsManagerClient({ region: config.AWS_REGION, ...endpointConfig(config, 'SECRETS_MANAGER') }),
  )

  // Secrets are read on the first invocation, not at build time (the builder stays synchronous, and a secret
  // rotated before a cold start is the one used); the loop built from them lives as long as the environment.
  const loop = onceSucceeded(async () => {
    const [token, influx] = await Promise.all([
      'value' in dispatchToken ? dispatchToken.value : readSecret(dispatchToken.secretArn),
      resolveInfluxCredentials(influxSecret, readSecret),
    ])
    let series: TurbineSeries
    if (config.TIMESERIES_ADAPTER === 'timestream') {
      series = createTimestreamTurbineSeries({
        client: new TimestreamQueryClient({ region: config.AWS_REGION, ...endpointConfig(config, 'TIMESTREAM_QUERY') }),
        database: config.TIMESTREAM_DATABASE as string,
        table: config.TIMESTREAM_TABLE as string,
      })
    } else {
      series = createTurbineSeries(createInfluxTimeSeriesStore(lambdaInfluxOptions(config, influx, logger)))
    }
    const iot = endpointConfig(config, 'IOT').endpoint
    const jobs = new AwsJobsService({ region: config.AWS_REGION, accountId, logger, ...(iot ? { endpoint: iot } : {}) })
    return new TwinLoop({
      config: twin,
      series,
      runner: dispatchClientFromConfig(twin.dispatch, { baseUrl: config.DISPATCH_URL, token, log: logger }),
      jobs: twinJobsFrom(
        jobs,
        config.JOB_SIGNING_KEY_ARN
          ? {
              signer: createKmsJobSigner({
                keyId: config.JOB_SIGNING_KEY_ARN,
                client: { region: config.AWS_REGION, ...endpointConfig(config, 'KMS') },
              }),
              validityS: config.JOB_SIGNATURE_VALIDITY_S,
            }
          : undefined,
      ),
      notifier: createSnsNotifier(new SNSClient({ region: config.AWS_REGION, ...endpointConfig(config, 'SNS') }), config.TOPIC_ARN),
      provenance: createObjectDecisionLog(
        createS3ObjectStore({ bucket: config.DECISIONS_BUCKET, client: { region: config.AWS_REGION, ...endpointConfig(config, 'S3') } }),
        config.DECISIONS_PREFIX,
      ),
      log: logger,
      engine: twin.dispatch.engine,
    })
  })
  return async (event) => {
    // The scheduled time, not the start time: a delayed or retried invocation judges the window it was meant for.
    const scheduled = event?.time ? new Date(event.time) : new Date()
    if (Number.isNaN(scheduled.getTime())) throw new CloudError('CLOUD_LAMBDA_RECORD_INVALID', `event time '${event.time}' is not a date`)
    const outcomes = await (await loop()).tick(scheduled)
    const decisions = outcomes.flatMap((o) =>
      o.decision ? [{ deviceId: o.deviceId, action: o.decision.decision.action, jobId: o.decision.jobId, decisionId: o.decision.id }] : [],
    )
    logger.info({ at: scheduled.toISOString(), turbines: outcomes.length, decisions: decisions.length }, 'twin tick done')
    return { at: scheduled.toISOString(), turbines: outcomes.length, decisions }
  }
}
