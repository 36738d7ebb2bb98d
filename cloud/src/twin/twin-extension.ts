import { CloudError } from '../errors.js'
import type { JobsService } from '../jobs/jobs-service.js'
import type { CloudComponent, CloudContext, CloudExtension } from '../runtime/create-cloud.js'
import { createTurbineSeries } from '../sinks/time-series/turbine-series.js'
import { twinJobsFrom } from './jobs-adapter.js'
import { localTwinJobSigning } from './local-job-signing.js'
import type { SimulationRunner } from './ports.js'
import type { SchedulerClock } from './scheduler.js'
import { createTwinService, type TwinService } from './twin-service.js'

export interface TwinExtensionOptions {
  /** Where controller updates go: the local jobs service or AWS IoT Jobs. */
  readonly jobs: JobsService
  /** The simulator's virtual clock; the wall clock when absent. */
  readonly clock?: SchedulerClock
  readonly runner?: SimulationRunner
  /** Called once the service exists, so a composition root can drive it (`advanceTo`) or read its provenance. */
  readonly onReady?: (service: TwinService) => void
}

/**
 * Adds the digital-twin loop to the cloud when `twin.enabled`: it reads turbine telemetry back from the cloud's
 * time series store and schedules itself on the configured cron expression.
 */
export function twinExtension(options: TwinExtensionOptions): CloudExtension {
  return (ctx: CloudContext): CloudComponent => {
    const config = ctx.config.twin
    if (!config.enabled) return { close: async () => {} }
    const reader = ctx.ingest.timeSeriesReader
    if (!reader) {
      // Timestream's writer has no reader here: on AWS the detector Lambda queries Timestream itself.
      throw new CloudError(
        'CLOUD_CONFIG_INVALID',
        `twin.enabled needs a time series store that can be read back; '${ctx.config.timeSeries.adapter}' cannot`,
      )
    }
    const token = ctx.env[config.dispatch.tokenEnv]
    const service = createTwinService({
      config,
      dataDir: ctx.config.dataDir,
      series: createTurbineSeries(reader),
      jobs: twinJobsFrom(options.jobs, localTwinJobSigning(config.jobSigning)),
      log: ctx.logger.child({ component: 'twin' }),
      ...(token ? { dispatchToken: token } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.runner ? { runner: options.runner } : {}),
      ...(ctx.config.awsRegion ? { awsRegion: ctx.config.awsRegion } : {}),
    })
    options.onReady?.(service)
    return {
      start: async () => service.start(),
      close: () => service.close(),
    }
  }
}
