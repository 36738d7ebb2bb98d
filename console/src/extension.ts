import { isAbsolute, join } from 'node:path'
import {
  type CloudComponent,
  type CloudContext,
  type CloudExtension,
  createLocalObjectStore,
  defaultZone,
  FleetError,
  type JobsService,
  loadZoneFile,
  readArchivePositions,
  readEnrichedPositions,
  type TwinService,
} from '@edgetwin/cloud'
import { type ConsoleServer, startConsoleServer } from './server.js'
import type { ConsoleSources } from './sources.js'

export interface ConsoleMountOptions {
  /** ConsoleConfig input (defaults fill the rest). */
  readonly config?: unknown
  /** Where the twin's jobs live, for a decision's job and per-device states. */
  readonly jobs?: JobsService
  /** The built browser bundle. @default DEFAULT_ASSETS_DIR (`npm run build`) */
  readonly assetsDir?: string
  /** Called once listening, with the console URL. */
  readonly onListening?: (server: ConsoleServer) => void
}

export interface ConsoleMount {
  /** Put it after the fleet, jobs and twin extensions: it reads what they set up. */
  readonly extension: CloudExtension
  /** Pass to `twinExtension({ onReady })` so the console reads the twin's decision log. */
  twinReady(service: TwinService): void
}

/** The console's sources from the cloud's context: the same stores and the same report inputs as the CLI. */
export function sourcesFromCloud(ctx: CloudContext, twin: TwinService | undefined, jobs: JobsService | undefined): ConsoleSources {
  const { config, ingest } = ctx
  const fleet = config.fleet
  const at = (p: string) => (isAbsolute(p) ? p : join(config.dataDir, p))
  const objects = fleet.objects.adapter === 'local' ? createLocalObjectStore(at(fleet.objects.root)) : undefined
  return {
    zone: fleet.zoneFile ? loadZoneFile(at(fleet.zoneFile)) : defaultZone(),
    chargingTimeZone: fleet.chargingTimeZone,
    minDwellS: fleet.geofence.minDwellS,
    tracker: ingest.tracker,
    bus: ctx.bus,
    archivePositions: (stats) => readArchivePositions(ingest.archiveRoot, fleet.archivePrefix, stats),
    enrichedPositions: (stats) => {
      if (!objects) throw new FleetError('CLOUD_REPORT_INVALID', 'reports from S3 objects run in Athena; see docs/fleet.md')
      return readEnrichedPositions(objects, fleet.objects.prefix, stats)
    },
    timeSeries: ingest.timeSeriesReader,
    deviceStatus: ingest.deviceStatus,
    ...(twin ? { twin: { decisions: twin.provenance, parametersInForce: (id: string) => twin.loop.parametersInForce(id) } } : {}),
    ...(jobs ? { jobs } : {}),
  }
}

/**
 * Mounts the web console on the cloud runtime (`edgetwin cloud run`, `npm start`): it starts listening after the
 * other extensions and closes before them. The token comes from the environment variable the config names.
 */
export function consoleMount(options: ConsoleMountOptions = {}): ConsoleMount {
  let twin: TwinService | undefined
  const extension: CloudExtension = async (ctx: CloudContext): Promise<CloudComponent> => {
    const sources = sourcesFromCloud(ctx, twin, options.jobs)
    const tokenEnv = (options.config as { tokenEnv?: string } | undefined)?.tokenEnv ?? 'EDGETWIN_CONSOLE_TOKEN'
    const token = ctx.env[tokenEnv]
    const server = await startConsoleServer(options.config ?? {}, sources, {
      logger: ctx.logger,
      ...(token ? { token } : {}),
      ...(options.assetsDir ? { assetsDir: options.assetsDir } : {}),
    })
    options.onListening?.(server)
    return { close: () => server.close() }
  }
  return {
    extension,
    twinReady: (service) => {
      twin = service
    },
  }
}
