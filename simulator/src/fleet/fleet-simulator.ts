import { join } from 'node:path'
import { type Agent, createAgent } from '@edgetwin/agent'
import type { AgentConfig, VehiclePosition } from '@edgetwin/shared-schemas'
import type { Logger } from 'pino'
import { SimError } from './errors.js'
import { expandFleet, loadFleetFile, type VehicleSpec } from './fleet-file.js'
import { GroundTruth } from './ground-truth.js'
import { DAY_MS, type JourneyOptions, planDay, positionAt, sampleTimes } from './journey.js'
import { VirtualClock } from './virtual-clock.js'

export interface FleetSimulationOptions {
  readonly vehicles: number
  readonly days: number
  /** Seconds between GPS samples. */
  readonly intervalS: number
  /** @default 1 */
  readonly seed?: number
  /** First simulated day, `YYYY-MM-DD` (UTC midnight). */
  readonly start: string
  readonly brokerUrl: string
  /** Each vehicle's agent gets its own outbox under `<dataDir>/<deviceId>`. */
  readonly dataDir: string
  readonly logger: Logger
  /** @default the built-in vehicles.json */
  readonly fleetFile?: string
  /** The agent's distance filter (Amazon Location DistanceBased semantics). @default 30 */
  readonly distanceFilterM?: number
  /** Keep every true position (24 bytes each). @default true */
  readonly keepGroundTruth?: boolean
  readonly journey?: JourneyOptions
  /** Records a vehicle hands its agent before awaiting their commit (they share one SQLite transaction). @default 256 */
  readonly pipelineDepth?: number
  /** How long to wait at the end for every outbox to drain. @default 120000 */
  readonly drainTimeoutMs?: number
  /** Builds each vehicle's agent. @default createAgent from @edgetwin/agent */
  readonly agentFactory?: (config: AgentConfig) => Agent
  readonly onProgress?: (p: FleetProgress) => void
}

export interface FleetProgress {
  readonly day: number
  readonly days: number
  readonly simTime: string
  readonly samples: number
  readonly accepted: number
  readonly filtered: number
}

export interface FleetSimulationResult {
  readonly vehicles: readonly VehicleSpec[]
  readonly groundTruth: GroundTruth
  readonly samples: number
  readonly accepted: number
  readonly filtered: number
  /** Records every agent's outbox still held when the run ended (0 when everything was acknowledged). */
  readonly undelivered: number
  readonly wallMs: number
}

const round7 = (x: number) => Math.round(x * 1e7) / 1e7

function validate(o: FleetSimulationOptions): number {
  const startMs = Date.parse(`${o.start}T00:00:00Z`)
  const bad = (msg: string) => new SimError('SIM_OPTIONS_INVALID', msg)
  if (!/^\d{4}-\d{2}-\d{2}$/.test(o.start) || Number.isNaN(startMs)) throw bad(`start '${o.start}' must be a date YYYY-MM-DD`)
  if (!Number.isInteger(o.vehicles) || o.vehicles < 1 || o.vehicles > 100_000) throw bad(`vehicles must be 1-100000, got ${o.vehicles}`)
  if (!Number.isInteger(o.days) || o.days < 1 || o.days > 366) throw bad(`days must be 1-366, got ${o.days}`)
  if (!(o.intervalS >= 1 && o.intervalS <= 3600)) throw bad(`interval must be 1-3600 s, got ${o.intervalS}`)
  return startMs
}

async function inBatches<T>(items: readonly T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn))
}

/**
 * Runs a fleet for `days` simulated days in accelerated time: each vehicle feeds its own real agent (vehicle
 * profile, its own SQLite outbox and MQTT connection), which filters, stores and publishes as on a device.
 * Returns once every outbox has drained (or the drain timeout passed) and the agents are closed.
 */
export async function runFleetSimulation(options: FleetSimulationOptions): Promise<FleetSimulationResult> {
  const startMs = validate(options)
  const wallStart = performance.now()
  const seed = options.seed ?? 1
  const log = options.logger
  const vehicles = expandFleet(loadFleetFile(options.fleetFile), options.vehicles, seed)
  const truth = new GroundTruth()
  const keepTruth = options.keepGroundTruth ?? true
  const depth = options.pipelineDepth ?? 256
  const clock = new VirtualClock(startMs)
  const factory = options.agentFactory ?? ((c: AgentConfig) => createAgent(c, { logger: log.child({ deviceId: c.deviceId }) }))
  const agents = vehicles.map((v) =>
    factory({
      deviceId: v.deviceId,
      kind: 'vehicle',
      dataDir: join(options.dataDir, v.deviceId),
      broker: { url: options.brokerUrl, clientId: `edgetwin-sim-${v.deviceId}` },
      // NORMAL survives a process crash (SQLite WAL docs); a simulated device need not survive power loss.
      outbox: { synchronous: 'NORMAL' },
      healthIntervalS: 0,
      logLevel: 'warn',
      vehicle: { distanceFilterM: options.distanceFilterM ?? 30, minIntervalS: 0 },
    } as unknown as AgentConfig),
  )
  let samples = 0
  let accepted = 0
  let filtered = 0
  try {
    // Connect in batches: a thousand simultaneous CONNECTs is a thundering herd for any broker.
    await inBatches(agents, 50, (a) => a.start())
    for (let day = 0; day < options.days; day++) {
      const dayStartMs = startMs + day * DAY_MS
      await Promise.all(
        vehicles.map(async (v, i) => {
          const agent = agents[i]!
          const plan = planDay(v.base, dayStartMs, seed, i, day, options.journey)
          let pending: Promise<unknown>[] = []
          for (const tMs of sampleTimes(plan, options.intervalS)) {
            const p = positionAt(plan, tMs)
            const lon = round7(p.lonLat[0])
            const lat = round7(p.lonLat[1])
            if (keepTruth) truth.record(v.deviceId, tMs, lon, lat)
            const record: VehiclePosition = {
              sampleTime: new Date(tMs).toISOString(),
              lon,
              lat,
              speedMps: Math.round(p.speedMps * 10) / 10,
              headingDeg: Math.round(p.headingDeg * 10) / 10,
            }
            samples++
            pending.push(
              agent.accept('position', record).then((r) => {
                if (r.seq === null) filtered++
                else accepted++
              }),
            )
            if (pending.length >= depth) {
              await Promise.all(pending)
              pending = []
            }
          }
          await Promise.all(pending)
        }),
      ).catch((err: unknown) => {
        throw new SimError('SIM_AGENT_FAILED', `a vehicle's agent refused a position on day ${day + 1}: ${(err as Error).message}`, {
          cause: err,
        })
      })
      clock.advanceTo(dayStartMs + DAY_MS)
      options.onProgress?.({
        day: day + 1,
        days: options.days,
        simTime: new Date(clock.nowMs()).toISOString(),
        samples,
        accepted,
        filtered,
      })
    }
    const undelivered = await drain(agents, options.drainTimeoutMs ?? 120_000)
    if (undelivered > 0) log.warn({ undelivered }, 'outboxes not drained before the timeout')
    return { vehicles, groundTruth: truth, samples, accepted, filtered, undelivered, wallMs: performance.now() - wallStart }
  } finally {
    await inBatches(agents, 100, (a) => a.close())
  }
}

async function drain(agents: readonly Agent[], timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    let left = 0
    for (const a of agents) {
      const h = a.health()
      left += h.queueDepth
    }
    if (left === 0 || Date.now() > deadline) return left
    await new Promise((r) => setTimeout(r, 100))
  }
}
