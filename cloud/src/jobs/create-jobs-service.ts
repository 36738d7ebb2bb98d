import { join } from 'node:path'
import type { CloudConfig } from '@edgetwin/shared-schemas'
import type { Logger } from 'pino'
import { CloudError } from '../errors.js'
import { AwsJobsService } from './aws-jobs-service.js'
import type { JobsService } from './jobs-service.js'
import { LocalJobsService } from './local/local-jobs-service.js'

/**
 * The JobsService the cloud config asks for: the local service on the configured broker, its state in
 * `<dataDir>/jobs.db` (the embedded default), or AWS IoT Jobs in `awsRegion` for `jobs.accountId`.
 */
export function createJobsService(config: Readonly<CloudConfig>, logger: Logger): JobsService {
  const jobs = config.jobs
  if (jobs.adapter === 'aws') {
    if (!config.awsRegion) throw new CloudError('CLOUD_CONFIG_INVALID', 'jobs.adapter=aws needs awsRegion in the cloud config')
    if (!jobs.accountId)
      throw new CloudError('CLOUD_CONFIG_INVALID', 'jobs.adapter=aws needs jobs.accountId (the 12-digit account owning the things)')
    return new AwsJobsService({
      region: config.awsRegion,
      accountId: jobs.accountId,
      logger,
      ...(jobs.endpoint ? { endpoint: jobs.endpoint } : {}),
    })
  }
  return new LocalJobsService({
    brokerUrl: config.broker.url,
    dbPath: join(config.dataDir, 'jobs.db'),
    clientId: jobs.clientId,
    tickMs: jobs.tickMs,
    logger,
  })
}
