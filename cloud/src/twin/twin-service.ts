import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { SNSClient } from '@aws-sdk/client-sns'
import type { CloudTwinConfig } from '@edgetwin/shared-schemas'
import type { Logger } from 'pino'
import { CloudError } from '../errors.js'
import type { DecisionLog } from './decision-log.js'
import { dispatchClientFromConfig } from './dispatch-client.js'
import { createLogNotifier, createSnsNotifier, createWebhookNotifier, type Notifier } from './notifier.js'
import type { SimulationRunner, TurbineSeries, TwinJobs } from './ports.js'
import { ProvenanceStore } from './provenance-store.js'
import { type SchedulerClock, TwinScheduler } from './scheduler.js'
import { TwinLoop } from './twin-loop.js'

export interface TwinServiceOptions {
  readonly config: CloudTwinConfig
  readonly dataDir: string
  readonly series: TurbineSeries
  readonly jobs: TwinJobs
  readonly log: Logger
  /** The dispatch server's bearer token (read from `config.dispatch.tokenEnv` by the config loader). */
  readonly dispatchToken?: string
  /** Virtual time: the simulator's clock; the wall clock when absent. */
  readonly clock?: SchedulerClock
  readonly awsRegion?: string
  /** Overrides for tests and for the composition root. */
  readonly runner?: SimulationRunner
  readonly notifier?: Notifier
  /** Where decisions are recorded. @default a ProvenanceStore (SQLite) at `<dataDir>/twin.db`, closed with the service */
  readonly decisionLog?: DecisionLog
}

export interface TwinService {
  readonly loop: TwinLoop
  readonly provenance: DecisionLog
  start(): void
  /** Runs every scheduled evaluation up to `at` (virtual time); resolves when they have finished. */
  advanceTo(at: Date): Promise<void>
  close(): Promise<void>
}

function notifierFor(config: CloudTwinConfig, log: Logger, awsRegion?: string): Notifier {
  const n = config.notifier
  if (n.type === 'webhook') {
    if (!n.url) throw new CloudError('CLOUD_CONFIG_INVALID', 'twin.notifier.type is webhook but twin.notifier.url is missing')
    return createWebhookNotifier(n.url)
  }
  if (n.type === 'sns') {
    if (!n.topicArn) throw new CloudError('CLOUD_CONFIG_INVALID', 'twin.notifier.type is sns but twin.notifier.topicArn is missing')
    return createSnsNotifier(new SNSClient(awsRegion ? { region: awsRegion } : {}), n.topicArn)
  }
  return createLogNotifier(log)
}

/** Composition of the twin loop: provenance in `<dataDir>/twin.db` unless a decision log is given, notifier and dispatch client from the config. */
export function createTwinService(options: TwinServiceOptions): TwinService {
  const { config, log } = options
  let owned: ProvenanceStore | undefined
  if (!options.decisionLog) {
    mkdirSync(options.dataDir, { recursive: true })
    owned = new ProvenanceStore(join(options.dataDir, 'twin.db'))
  }
  const provenance: DecisionLog = options.decisionLog ?? (owned as ProvenanceStore)
  const runner =
    options.runner ?? dispatchClientFromConfig(config.dispatch, { ...(options.dispatchToken ? { token: options.dispatchToken } : {}), log })
  const loop = new TwinLoop({
    config,
    series: options.series,
    runner,
    jobs: options.jobs,
    notifier: options.notifier ?? notifierFor(config, log, options.awsRegion),
    provenance,
    log,
    engine: config.dispatch.engine,
  })
  const scheduler = new TwinScheduler({
    schedule: config.schedule,
    tick: (at) => loop.tick(at),
    log,
    ...(options.clock ? { virtualClock: options.clock } : {}),
  })
  return {
    loop,
    provenance,
    start: () => scheduler.start(),
    advanceTo: (at) => scheduler.advanceTo(at),
    async close() {
      await scheduler.close()
      owned?.close()
    },
  }
}
