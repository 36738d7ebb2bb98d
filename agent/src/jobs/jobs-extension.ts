import { join } from 'node:path'
import { CONTROLLER_PARAMETER_DEFAULTS } from '@edgetwin/shared-schemas'
import { ControllerUpdater } from '../controller/controller-updater.js'
import { ControllerParameterStore } from '../controller/parameter-store.js'
import { TelemetryWatch } from '../controller/telemetry-watch.js'
import type { AgentExtension, AgentHost } from '../extensions.js'
import { JobsClient } from './jobs-client.js'

/**
 * The jobs extension of an agent whose config has a `jobs` section: the controller parameter store
 * (`<dataDir>/controller.db`), the health-gate telemetry watch on the agent's own commits, and the IoT Jobs
 * client on the agent's MQTT session.
 */
export function createJobsExtension(host: AgentHost): AgentExtension | undefined {
  const jobs = host.config.jobs
  if (!jobs) return undefined
  const logger = host.logger.child({ component: 'jobs' })
  const store = new ControllerParameterStore({
    path: join(host.dataDir, 'controller.db'),
    initial: jobs.initialParameters ?? { ...CONTROLLER_PARAMETER_DEFAULTS },
  })
  const watch = new TelemetryWatch(host, { historyS: jobs.healthGate.maxWindowS })
  const client = new JobsClient({
    session: host.mqtt,
    thingName: jobs.thingName ?? host.config.deviceId,
    handler: new ControllerUpdater({ store, watch, config: jobs, logger }),
    logger,
    requestTimeoutMs: jobs.requestTimeoutMs,
  })
  return {
    name: 'jobs',
    controller: store,
    async start() {
      watch.start()
      await client.start()
    },
    async close() {
      const closing = client.close()
      // Ends an open health gate; the job stays journaled as `gating` and resumes on the next start.
      watch.close()
      await closing
      store.close()
    },
  }
}
