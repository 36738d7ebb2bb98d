import { createValidator, EnrichmentLambdaEnv, parseLambdaEnv } from '@edgetwin/shared-schemas'
import { pino } from 'pino'
import { createDynamoDbMaintenanceStore } from '../fleet/dynamodb-maintenance-store.js'
import { createEnrichmentHandler } from '../fleet/enrichment.js'
import { createS3ObjectStore } from '../fleet/s3-object-store.js'
import { endpointConfig } from './aws-endpoints.js'

const envValidator = createValidator(EnrichmentLambdaEnv)

/**
 * Builds the enrichment function on DynamoDB (GetItem, cached briefly) and S3 from the Lambda environment (the
 * only place it is read). The handler answers with the key it wrote; an invalid event or a failed read/write
 * throws a coded error, so EventBridge retries it and finally sends it to the rule target's dead-letter queue.
 */
export function buildEnrichmentLambda(env: Readonly<Record<string, string | undefined>>): (event: unknown) => Promise<{ key: string }> {
  const config: Readonly<EnrichmentLambdaEnv> = parseLambdaEnv(envValidator, env)
  const logger = pino({ level: config.LOG_LEVEL })
  const handle = createEnrichmentHandler({
    maintenance: createDynamoDbMaintenanceStore({
      tableName: config.MAINTENANCE_TABLE_NAME,
      cacheTtlMs: config.MAINTENANCE_CACHE_TTL_MS,
      client: endpointConfig(config, 'DYNAMODB'),
    }),
    objects: createS3ObjectStore({ bucket: config.OBJECTS_BUCKET, client: endpointConfig(config, 'S3') }),
    prefix: config.OBJECTS_PREFIX,
    logger,
  })
  return async (event) => {
    const key = await handle(event)
    logger.debug({ key }, 'enriched position event written')
    return { key }
  }
}
