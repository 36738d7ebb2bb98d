import { existsSync } from 'node:fs'
import { join } from 'node:path'
import {
  type CloudContext,
  type CloudExtension,
  createCloud,
  createLocalEventBus,
  createLocalIngest,
  createTurbineSeries,
  createTwinService,
  fleetExtension,
  type LocalIngest,
  LocalJobsService,
  twinJobsFrom,
} from '@edgetwin/cloud'
import { type CloudConfig, parseConfig, validators } from '@edgetwin/shared-schemas'
import type { Logger } from 'pino'
import { sourcesFromCloud } from './extension.js'
import { type ConsoleServer, startConsoleServer } from './server.js'
import type { ConsoleSources } from './sources.js'

export interface StoredConsoleOptions {
  readonly brokerUrl: string
  /** The cloud dataDir the vehicles went to (routed live from the broker from now on). */
  readonly fleetDataDir: string
  /** A second cloud dataDir holding the turbines, their twin decisions and jobs (read as stored). */
  readonly turbinesDataDir?: string
  readonly logger: Logger
  /** ConsoleConfig input. */
  readonly config?: unknown
}

/**
 * The console over what a finished run left on disk (`npm start` once its flows are done): a cloud routes the
 * broker into the fleet's data directory, so new positions still appear live, and the turbines' stores, decision
 * log and jobs are read from theirs. Nothing here runs the twin loop.
 */
export async function startStoredConsole(options: StoredConsoleOptions): Promise<ConsoleServer> {
  const { logger } = options
  const closers: (() => Promise<void>)[] = []
  const closeAll = async () => {
    for (const c of closers.splice(0).reverse()) await c()
  }
  try {
    let fleetCtx: CloudContext | undefined
    const captureContext: CloudExtension = (ctx) => {
      fleetCtx = ctx
      return { close: async () => {} }
    }
    const cloud = createCloud(
      { dataDir: options.fleetDataDir, broker: { url: options.brokerUrl, clientId: 'edgetwin-console-cloud' }, logLevel: 'warn' },
      { logger, extensions: [fleetExtension(), captureContext] },
    )
    await cloud.start()
    closers.push(() => cloud.close())
    let sources: ConsoleSources = sourcesFromCloud(fleetCtx!, undefined, undefined)
    const dir = options.turbinesDataDir
    // The local time series is in ingest.db (an older directory's timeseries.db is moved into it when opened).
    if (dir && (existsSync(join(dir, 'ingest.db')) || existsSync(join(dir, 'timeseries.db')))) {
      const turbines: LocalIngest = createLocalIngest({ dataDir: dir, bus: createLocalEventBus(), logger })
      closers.push(() => turbines.close())
      const config: Readonly<CloudConfig> = parseConfig(validators.CloudConfig, { dataDir: dir, twin: { enabled: true } })
      const jobs = new LocalJobsService({
        brokerUrl: options.brokerUrl,
        dbPath: join(dir, 'jobs.db'),
        clientId: 'edgetwin-console-jobs',
        logger,
      })
      await jobs.start()
      closers.push(() => jobs.close())
      const reader = turbines.timeSeriesReader!
      // The service is only the decision log and what it believes is in force; its scheduler is never started.
      const twin = createTwinService({
        config: config.twin,
        dataDir: dir,
        series: createTurbineSeries(reader),
        jobs: twinJobsFrom(jobs),
        log: logger,
      })
      closers.push(() => twin.close())
      const fleetStatus = sources.deviceStatus
      sources = {
        ...sources,
        timeSeries: reader,
        deviceStatus: {
          get: async (id) => (await fleetStatus.get(id)) ?? (await turbines.deviceStatus.get(id)),
          list: async () => [...((await fleetStatus.list?.()) ?? []), ...((await turbines.deviceStatus.list?.()) ?? [])],
        },
        twin: { decisions: twin.provenance, parametersInForce: (id) => twin.loop.parametersInForce(id) },
        jobs,
      }
    }
    const server = await startConsoleServer(options.config ?? {}, sources, { logger })
    return {
      ...server,
      close: async () => {
        await server.close()
        await closeAll()
      },
    }
  } catch (err) {
    await closeAll()
    throw err
  }
}
