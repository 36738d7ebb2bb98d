import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { FirehoseClient } from '@aws-sdk/client-firehose'
import { LocationClient } from '@aws-sdk/client-location'
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { TimestreamWriteClient } from '@aws-sdk/client-timestream-write'
import { createValidator, parseConfig, RouterLambdaEnv } from '@edgetwin/shared-schemas'
import { pino } from 'pino'
import { CloudError } from '../errors.js'
import { createS3ObjectStore } from '../fleet/s3-object-store.js'
import { createDynamoDbHighWaterMarkStore } from '../router/dynamodb-high-water-mark.js'
import { createObjectDeadLetterStore } from '../router/object-dead-letter-store.js'
import { createRouter } from '../router/router.js'
import { createFirehoseArchiveStream } from '../sinks/archive/firehose-archive-stream.js'
import { createDynamoDbDeviceStatusStore } from '../sinks/device-status/dynamodb-device-status-store.js'
import { createLocationPositionTracker } from '../sinks/position-tracker/location-position-tracker.js'
import { createInfluxTimeSeriesStore } from '../sinks/time-series/influx-time-series-store.js'
import type { TimeSeriesWriter } from '../sinks/time-series/time-series-store.js'
import { createTimestreamWriter } from '../sinks/time-series/timestream-writer.js'
import { lambdaInfluxOptions, resolveInfluxCredentials } from './influx-env.js'
import { createKinesisRouterHandler } from './kinesis-router-core.js'
import { createSecretsManagerReader, onceSucceeded, secretSource } from './secrets.js'

const envValidator = createValidator(RouterLambdaEnv)

/** Builds the router on the AWS adapters from the Lambda environment (the only place it is read). */
export function buildLambdaRouter(env: Readonly<Record<string, string | undefined>>) {
  const config: Readonly<RouterLambdaEnv> = parseConfig(envValidator, { ...env })
  const logger = pino({ level: config.LOG_LEVEL, redact: ['*.token', '*.password', '*.authorization', '*.secretAccessKey'] })
  // The adapters retry entry by entry with their own backoff, so the SDK's whole-call retries are off.
  const common = { maxAttempts: 1 }
  let timeSeries: TimeSeriesWriter
  if (config.TIMESERIES_ADAPTER === 'timestream') {
    if (!config.TIMESTREAM_DATABASE || !config.TIMESTREAM_TABLE) {
      throw new CloudError('CLOUD_CONFIG_INVALID', 'TIMESERIES_ADAPTER=timestream needs TIMESTREAM_DATABASE and TIMESTREAM_TABLE')
    }
    timeSeries = createTimestreamWriter({
      client: new TimestreamWriteClient(common),
      database: config.TIMESTREAM_DATABASE,
      table: config.TIMESTREAM_TABLE,
      logger,
    })
  } else {
    const source = secretSource('INFLUX_TOKEN', config.INFLUX_TOKEN, 'INFLUX_TOKEN_SECRET_ARN', config.INFLUX_TOKEN_SECRET_ARN, false)
    lambdaInfluxOptions(config, undefined, logger)
    // The secret is read on the first write and the store kept for the environment's life (a failed read is
    // retried on the next batch); SDK retries stay on for this one call, which is not retried entry by entry.
    const readSecret = createSecretsManagerReader(new SecretsManagerClient({}))
    const store = onceSucceeded(async () =>
      createInfluxTimeSeriesStore(lambdaInfluxOptions(config, await resolveInfluxCredentials(source, readSecret), logger)),
    )
    let opened = false
    timeSeries = {
      write: async (points) => {
        opened = true
        return (await store()).write(points)
      },
      // Closing a store never opened must not read the secret.
      close: async () => (opened ? (await store()).close() : undefined),
    }
  }
  const dynamo = new DynamoDBClient(common)
  const deadLetters = createObjectDeadLetterStore(createS3ObjectStore({ bucket: config.DEAD_LETTER_BUCKET }), config.DEAD_LETTER_PREFIX)
  const router = createRouter({
    sinks: {
      tracker: createLocationPositionTracker({ client: new LocationClient(common), trackerName: config.TRACKER_NAME, logger }),
      timeSeries,
      archive: createFirehoseArchiveStream({ client: new FirehoseClient(common), deliveryStreamName: config.DELIVERY_STREAM_NAME, logger }),
      deviceStatus: createDynamoDbDeviceStatusStore({ client: dynamo, tableName: config.DEVICE_STATUS_TABLE_NAME }),
    },
    marks: createDynamoDbHighWaterMarkStore({ client: dynamo, tableName: config.HWM_TABLE_NAME }),
    deadLetters,
    logger,
  })
  return createKinesisRouterHandler({ router, deadLetters, logger })
}
