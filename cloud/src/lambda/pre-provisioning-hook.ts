import { createValidator, PreProvisioningHookLambdaEnv, type PreProvisioningHookResult, parseLambdaEnv } from '@edgetwin/shared-schemas'
import { pino } from 'pino'
import { endpointConfig } from './aws-endpoints.js'
import { createPreProvisioningHook } from './pre-provisioning-hook-core.js'

const envValidator = createValidator(PreProvisioningHookLambdaEnv)
let built: ((event: unknown) => Promise<PreProvisioningHookResult>) | undefined

/** The Lambda entry point AWS IoT fleet provisioning calls before it provisions a device (payload 2020-04-01). */
export async function handler(event: unknown): Promise<PreProvisioningHookResult> {
  if (!built) {
    const env = parseLambdaEnv(envValidator, process.env)
    built = createPreProvisioningHook({
      tableName: env.ALLOW_LIST_TABLE_NAME,
      client: endpointConfig(env, 'DYNAMODB'),
      logger: pino({ level: env.LOG_LEVEL }),
    })
  }
  return built(event)
}
