import { CONTROLLER_PARAMETER_DEFAULTS, createValidator, parseLambdaEnv, TwinPostProcessorLambdaEnv } from '@edgetwin/shared-schemas'
import { pino } from 'pino'
import type { ObjectStore } from '../fleet/object-store.js'
import { createS3ObjectStore } from '../fleet/s3-object-store.js'
import { endpointConfig } from './aws-endpoints.js'
import { createTwinPostProcessor, type PostProcessResult, type S3ObjectCreatedEvent } from './twin-postprocessor-core.js'

const envValidator = createValidator(TwinPostProcessorLambdaEnv)

/** Builds the post-processor on S3 from the Lambda environment (the only place it is read). */
export function buildTwinPostProcessor(
  env: Readonly<Record<string, string | undefined>>,
): (event: S3ObjectCreatedEvent) => Promise<PostProcessResult> {
  const config: Readonly<TwinPostProcessorLambdaEnv> = parseLambdaEnv(envValidator, env)
  const logger = pino({ level: config.LOG_LEVEL })
  // One client per bucket, kept for the execution environment's life.
  const stores = new Map<string, ObjectStore>()
  return createTwinPostProcessor({
    objects: (bucket) => {
      let store = stores.get(bucket)
      if (!store) {
        store = createS3ObjectStore({ bucket, client: endpointConfig(config, 'S3') })
        stores.set(bucket, store)
      }
      return store
    },
    thresholds: {
      overspeedGeneratorRpm: config.OVERSPEED_GENERATOR_RPM ?? CONTROLLER_PARAMETER_DEFAULTS.overspeedAlarmGeneratorSpeedRpm,
      maxGeneratorTorqueNm: config.MAX_GENERATOR_TORQUE_NM ?? CONTROLLER_PARAMETER_DEFAULTS.maxGeneratorTorqueNm,
    },
    logger,
  })
}
