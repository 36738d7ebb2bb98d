import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  collect,
  createLocalEventBus,
  createLocalIngest,
  type DaysInZoneRow,
  daysInZoneReport,
  type FleetServices,
  parseDayRange,
  readArchivePositions,
  startFleetServices,
} from '@edgetwin/cloud'
import { CloudFleetConfig, createValidator, parseConfig, TELEMETRY_FILTER } from '@edgetwin/shared-schemas'
import { type FleetSimulationResult, runFleetSimulation } from '@edgetwin/simulator'
import mqtt from 'mqtt'
import { type Logger, pino } from 'pino'

export interface FleetDemoOptions {
  /** @default 10 */
  readonly vehicles?: number
  /** @default 7 */
  readonly days?: number
  /** GPS sample interval, simulated seconds. @default 30 */
  readonly intervalS?: number
  /** @default 1 */
  readonly seed?: number
  /** First simulated day; default: the Monday `days` days before today (UTC). */
  readonly start?: string
  readonly brokerUrl: string
  /** Progress lines for a human. */
  readonly log: (line: string) => void
  /** What is happening now and how far along (0–1), for a progress display. */
  readonly progress?: (detail: string, fraction?: number) => void
  /** Kept when given; otherwise a temp folder removed at the end. */
  readonly dataDir?: string
  readonly dailyFee?: number
  readonly logger?: Logger
}

export interface FleetDemoResult {
  readonly report: DaysInZoneRow[]
  readonly simulation: FleetSimulationResult
  readonly range: { from: string; to: string }
  readonly routed: number
  readonly counters: { enriched: number; archived: number; geofenceEvents: number; failed: number }
}

const fleetConfigValidator = createValidator(CloudFleetConfig)

function defaultStart(days: number): string {
  const d = new Date(Date.now() - days * 86_400_000)
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7))
  return d.toISOString().slice(0, 10)
}

/**
 * The vehicle flow end to end on the embedded default: cloud subscriber (router → local tracker → bus →
 * enrichment, archive, geofences) on `brokerUrl`, then a simulated fleet with one real agent per vehicle, then
 * the days-in-zone report read back from the archive.
 */
export async function runFleetDemo(options: FleetDemoOptions): Promise<FleetDemoResult> {
  const vehicles = options.vehicles ?? 10
  const days = options.days ?? 7
  const start = options.start ?? defaultStart(days)
  const log = options.log
  const progress = options.progress ?? (() => {})
  const logger = options.logger ?? pino({ level: 'warn' })
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'edgetwin-fleet-demo-'))
  const fleetConfig = parseConfig(fleetConfigValidator, {})
  const bus = createLocalEventBus()
  const ingest = createLocalIngest({ dataDir: join(dataDir, 'cloud'), bus, logger, archiveBufferIntervalMs: 1000 })
  await ingest.start()
  let fleet: FleetServices | undefined
  let subscriber: mqtt.MqttClient | undefined
  try {
    fleet = await startFleetServices(fleetConfig, {
      dataDir: join(dataDir, 'cloud'),
      bus,
      archiveRoot: ingest.archiveRoot,
      logger,
      archiveBufferIntervalMs: 1000,
    })
    // Maintenance records for the demo fleet: every third vehicle misses the emission standard.
    for (let i = 0; i < vehicles; i++) {
      await fleet.maintenance.put({
        DeviceId: `vehicle${i + 1}`,
        MeetsEmissionStandards: i % 3 !== 0,
        Mileage: 8_000 + ((i * 7919) % 90_000),
        PurchaseDate: `${2014 + (i % 11)}-0${1 + (i % 9)}-15`,
      })
    }
    let routed = 0
    // Once the simulation is over, the router works through what is left: say how far it got.
    let draining = false
    let chain: Promise<void> = Promise.resolve()
    subscriber = await mqtt.connectAsync(options.brokerUrl, {
      clientId: 'edgetwin-fleet-demo-cloud',
      clean: true,
      protocolVersion: 4,
      reconnectPeriod: 1000,
    })
    // One message at a time, in arrival order: the router's high-water marks assume a device's batches in order.
    subscriber.on('message', (topic, payload) => {
      chain = chain.then(async () => {
        try {
          await ingest.router.handle(topic, payload)
          routed++
          if (draining) progress(`routing what the agents sent: ${routed} MQTT batches so far`, 0.9)
        } catch (err) {
          logger.warn({ err, topic }, 'router failed a message')
        }
      })
    })
    await subscriber.subscribeAsync(TELEMETRY_FILTER, { qos: 1 })
    log(
      `fleet: cloud subscribed to ${TELEMETRY_FILTER} on ${options.brokerUrl}; simulating ${vehicles} vehicles for ${days} days from ${start}`,
    )
    const simulation = await runFleetSimulation({
      vehicles,
      days,
      intervalS: options.intervalS ?? 30,
      seed: options.seed ?? 1,
      start,
      brokerUrl: options.brokerUrl,
      dataDir: join(dataDir, 'agents'),
      logger,
      onProgress: (p) => {
        // p.simTime is the clock after the day, i.e. the next midnight: name the day that was simulated.
        const date = new Date(Date.parse(`${start}T00:00:00Z`) + (p.day - 1) * 86_400_000).toISOString().slice(0, 10)
        log(
          `fleet: day ${p.day}/${p.days} simulated (${date}): ${p.samples} GPS samples, ${p.accepted} kept by the agents, ${p.filtered} within 30 m dropped`,
        )
        progress(`day ${p.day} of ${p.days} simulated, ${p.accepted} positions sent`, (0.9 * p.day) / p.days)
      },
    })
    // The agents' outboxes are empty once the broker acknowledged every batch; let the cloud finish what it received.
    let last = -1
    draining = true
    progress(`routing what the agents sent: ${routed} MQTT batches so far`, 0.9)
    while (routed !== last) {
      last = routed
      await new Promise((r) => setTimeout(r, 300))
      await chain
    }
    progress('flushing the archive and reading the report back', 0.95)
    await fleet.flush()
    await ingest.archive.flush()
    const c = fleet.consumers.counters
    log(
      `fleet: ${routed} MQTT batches routed; ${c.enriched} position events enriched, ${c.archived} archived, ${c.geofenceEvents} geofence ENTER/EXIT`,
    )
    const end = new Date(Date.parse(`${start}T00:00:00Z`) + (days - 1) * 86_400_000).toISOString().slice(0, 10)
    const range = parseDayRange(start, end)
    const rows = await collect(readArchivePositions(fleet.archiveRoot, fleet.archivePrefix))
    const report = daysInZoneReport(rows, fleet.zone, {
      range,
      dailyFee: options.dailyFee ?? fleetConfig.dailyFee,
      timeZone: fleetConfig.chargingTimeZone,
    })
    return { report, simulation, range, routed, counters: { ...c } }
  } finally {
    await subscriber?.endAsync()
    await fleet?.close()
    await ingest.close()
    if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true })
  }
}
