/**
 * bench:router's second figure: the position batches routed as `edgetwin cloud run` routes them when the fleet
 * consumers (enrichment, the position-event archive, geofence) are subscribed to the durable event bus. Each stored
 * position then also writes one delivery row per target in the router's transaction, and after the commit the bus
 * delivers it to each target. Measured beside the same batches routed with no target subscribed (as the main
 * figure has them), in the same process, on fresh files each.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseConfig, validators } from '@edgetwin/shared-schemas'
import { pino } from 'pino'
import { startFleetServices } from '../src/fleet/fleet-services.js'
import { createLocalIngest } from '../src/runtime/local-ingest.js'
import type { BenchMessage } from './router-messages.js'

export interface FleetRun {
  /** CPU of routing the batches (the router's transaction, with a delivery row per subscribed target). */
  readonly routeCpuS: number
  /** CPU until every delivery is done and the archives are flushed (routing included). */
  readonly totalCpuS: number
  readonly delivered: number
}

const cpuS = (c: NodeJS.CpuUsage): number => (c.user + c.system) / 1e6

/** Routes `positions` on fresh files, with the fleet consumers subscribed as `cloud run` does (`subscribed`) or none. */
export async function runPositions(positions: readonly BenchMessage[], subscribed: boolean): Promise<FleetRun> {
  const dir = mkdtempSync(join(tmpdir(), 'edgetwin-bench-fleet-'))
  const logger = pino({ level: 'silent' })
  const ingest = createLocalIngest({ dataDir: dir, logger })
  const config = parseConfig(validators.CloudConfig, { dataDir: dir })
  // As createCloud: the consumers subscribe before the bus starts delivering.
  const fleet = subscribed
    ? await startFleetServices(config.fleet, {
        dataDir: dir,
        bus: ingest.bus,
        archiveRoot: ingest.archiveRoot,
        db: ingest.databases.ingest,
        archiveBufferIntervalMs: config.archive.bufferIntervalS * 1000,
        archiveBufferSizeBytes: config.archive.bufferSizeMiB * 1024 * 1024,
        logger,
      })
    : undefined
  await ingest.start()
  try {
    const c0 = process.cpuUsage()
    for (const m of positions) await ingest.router.handle(m.topic, m.payload)
    const routeCpuS = cpuS(process.cpuUsage(c0))
    // Wait on progress: until no delivery is pending (the bus delivers in the background after each commit). One
    // indexed row looked up per poll, so the wait adds next to nothing to the CPU measured.
    const anyPending = ingest.databases.ingest.prepare('SELECT EXISTS (SELECT 1 FROM bus_deliveries)').pluck()
    while (anyPending.get() === 1) await new Promise((resolve) => setTimeout(resolve, 5))
    await fleet?.flush()
    await ingest.archive.flush()
    ingest.databases.ingest.pragma('wal_checkpoint(PASSIVE)')
    const totalCpuS = cpuS(process.cpuUsage(c0))
    const health = ingest.events!.health()
    const delivered = Object.values(health.targets).reduce((n, t) => n + t.delivered, 0)
    const dead = Object.values(health.stored).reduce((n, t) => n + t.deadLetters, 0)
    if (dead > 0) throw new Error(`${dead} position events dead-lettered`)
    return { routeCpuS, totalCpuS, delivered }
  } finally {
    await fleet?.close()
    await ingest.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
