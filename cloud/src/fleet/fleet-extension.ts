import type { CloudComponent, CloudContext, CloudExtension } from '../runtime/create-cloud.js'
import { type FleetServices, startFleetServices } from './fleet-services.js'

/**
 * Adds the fleet half of the cloud to `createCloud`: the consumers of the position events on the cloud's bus
 * (enrichment into the object store, the Firehose-pattern archive, geofence ENTER/EXIT), configured by `fleet`.
 */
export function fleetExtension(options: { readonly onReady?: (services: FleetServices) => void } = {}): CloudExtension {
  return async (ctx: CloudContext): Promise<CloudComponent> => {
    const services = await startFleetServices(ctx.config.fleet, {
      dataDir: ctx.config.dataDir,
      bus: ctx.bus,
      archiveRoot: ctx.ingest.archiveRoot,
      db: ctx.ingest.databases.ingest,
      archiveBufferIntervalMs: ctx.config.archive.bufferIntervalS * 1000,
      archiveBufferSizeBytes: ctx.config.archive.bufferSizeMiB * 1024 * 1024,
      logger: ctx.logger,
      ...(ctx.config.awsRegion ? { awsRegion: ctx.config.awsRegion } : {}),
    })
    options.onReady?.(services)
    return { close: () => services.close() }
  }
}
