import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Agent, createAgent } from '@edgetwin/agent'
import {
  createCloud,
  createTurbineSeries,
  createTwinService,
  type DecisionRecord,
  LocalJobsService,
  type Notifier,
  type TurbineSeries,
  type TwinService,
  twinJobsFrom,
  windowStatistics,
} from '@edgetwin/cloud'
import { parseDispatchConfig, startDispatchServer } from '@edgetwin/openfast-container'
import { createFarm, createVirtualClock } from '@edgetwin/simulator'
import { type Logger, pino } from 'pino'

export interface TurbineDemoOptions {
  readonly brokerUrl: string
  /** Progress lines for a human. */
  readonly log: (line: string) => void
  /** What is happening now and how far through the virtual run (0–1), for a progress display. */
  readonly progress?: (detail: string, fraction?: number) => void
  /** @default 3 */
  readonly turbines?: number
  /** Site mean hub-height wind (m/s); above rated, where the pitch controller works. @default 14 */
  readonly meanWindSpeedMps?: number
  /** @default 0.06 */
  readonly baseTurbulenceIntensity?: number
  /** The first turbine's turbulence after the step (worse than the design assumed). @default 0.15 */
  readonly steppedTurbulenceIntensity?: number
  /** @default 20 */
  readonly stepAfterMinutes?: number
  /** Virtual duration of the run. @default 120 */
  readonly durationMinutes?: number
  /** @default 7 */
  readonly seed?: number
  /** Virtual start time. @default 2026-10-05T00:00:00Z */
  readonly startTime?: string
  /** Kept when given; otherwise a temp folder removed at the end. */
  readonly dataDir?: string
  readonly logger?: Logger
  /** Overrides of the cloud config's `twin` section (validated with it), e.g. `{ detector: { cooldownMinutes: 90 } }`. */
  readonly twin?: Record<string, unknown>
}

export interface WindowAlarms {
  readonly windowStart: string
  readonly overspeedEpisodes: number
  readonly samples: number
  readonly controllerVersion: number
}

export interface TurbineDemoResult {
  readonly turbineIds: readonly string[]
  readonly anomalousTurbine: string
  readonly decisions: readonly DecisionRecord[]
  /** The job executions of every decision's job: `jobId/thing → status`. */
  readonly jobExecutions: Readonly<Record<string, string>>
  /** Virtual time at which the anomalous turbine's controller version first changed, if it did. */
  readonly appliedAt: string | null
  readonly parametersAfter: Readonly<Record<string, number>>
  /** The anomalous turbine's over-speed episodes per 10-minute window, from the time series store. */
  readonly windows: readonly WindowAlarms[]
  /** Mean episodes per 10 minutes between the turbulence step and the update, and after the update settled. */
  /** Null when the run had no such window (it ended before the turbulence step, or before an update was in force). */
  readonly episodesPer10MinBefore: number | null
  readonly episodesPer10MinAfter: number | null
  /** State of every simulation the provenance names, as the dispatch server reports it. */
  readonly simulationStates: Readonly<Record<string, string>>
}

const MINUTE_MS = 60_000

function hhmm(startMs: number, atMs: number): string {
  const m = Math.round((atMs - startMs) / MINUTE_MS)
  return `+${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`
}

/** Waits until every agent has its outbox acknowledged and the store holds each turbine's samples up to `atMs`. */
async function drain(agents: readonly Agent[], series: TurbineSeries, ids: readonly string[], atMs: number, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
  while (agents.some((a) => a.health().queueDepth > 0)) {
    if (Date.now() > deadline) return false
    await sleep(5)
  }
  for (const id of ids) {
    for (;;) {
      const recent = await series.samples(id, new Date(atMs - 5000), new Date(atMs + 1))
      if (recent.length > 0 || Date.now() > deadline) break
      await sleep(5)
    }
  }
  return true
}

/**
 * The turbine flow end to end on the embedded default, in virtual time: a small farm of real agents, the cloud
 * router and time series store, the local IoT Jobs service, the dispatch server (rotor-model engine, over
 * HTTP) and the twin loop. One turbine's turbulence steps up; the loop detects the over-speed alarms,
 * simulates candidates, decides, and sends the update as a job that the agent applies inside its envelope.
 */
export async function runTurbineDemo(options: TurbineDemoOptions): Promise<TurbineDemoResult> {
  const log = options.log
  const progress = options.progress ?? (() => {})
  const logger = options.logger ?? pino({ level: 'warn' })
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'edgetwin-turbines-'))
  const startMs = Date.parse(options.startTime ?? '2026-10-05T00:00:00Z')
  const durationMs = (options.durationMinutes ?? 120) * MINUTE_MS
  const stepAtMs = startMs + (options.stepAfterMinutes ?? 20) * MINUTE_MS
  const token = randomBytes(32).toString('hex')
  const closers: Array<() => Promise<void>> = []
  try {
    const dispatch = await startDispatchServer(parseDispatchConfig({ port: 0, dataDir: join(dataDir, 'dispatch'), logLevel: 'warn' }), {
      bearerTokens: [token],
      log: logger,
    })
    closers.push(() => dispatch.close())
    log(`dispatch server (rotor-model engine) on ${dispatch.url}, OpenAPI page at ${dispatch.url}/docs`)

    const jobs = new LocalJobsService({
      brokerUrl: options.brokerUrl,
      dbPath: join(dataDir, 'cloud', 'jobs.db'),
      clientId: 'edgetwin-demo-jobs',
      logger,
    })
    await jobs.start()
    closers.push(() => jobs.close())

    const cloud = createCloud(
      {
        dataDir: join(dataDir, 'cloud'),
        broker: { url: options.brokerUrl, clientId: 'edgetwin-demo-cloud-turbines' },
        logLevel: 'warn',
        twin: { ...options.twin, enabled: true, dispatch: { ...(options.twin?.['dispatch'] as object), url: dispatch.url } },
      },
      { logger },
    )
    await cloud.start()
    closers.push(() => cloud.close())
    const reader = cloud.ingest.timeSeriesReader
    if (!reader) throw new Error('the local time series store cannot be read back')
    const series = createTurbineSeries(reader)

    const clock = createVirtualClock({ startTimeMs: startMs, speedup: Number.POSITIVE_INFINITY })
    const agents: Agent[] = []
    const farm = createFarm(
      {
        turbines: options.turbines ?? 3,
        seed: options.seed ?? 7,
        meanWindSpeedMps: options.meanWindSpeedMps ?? 14,
        turbulenceIntensity: options.baseTurbulenceIntensity ?? 0.06,
        windDrift: { stdMps: 0, timeScaleS: 3600 },
        alarmEvents: false,
      },
      {
        clock,
        logger,
        agentFor: (id) => {
          const agent = createAgent(
            {
              deviceId: id,
              kind: 'turbine',
              dataDir: join(dataDir, 'agents', id),
              broker: { url: options.brokerUrl },
              outbox: { synchronous: 'NORMAL' },
              publish: { maxRecordsPerBatch: 200 },
              healthIntervalS: 0,
              logLevel: 'warn',
              jobs: {},
            },
            { logger },
          )
          agents.push(agent)
          return agent
        },
      },
    )
    const anomalous = farm.turbine(0)
    anomalous.injectTurbulence(options.steppedTurbulenceIntensity ?? 0.15, stepAtMs)
    log(
      `farm: ${farm.turbineIds.length} turbines (${farm.turbineIds.join(', ')}), ${options.meanWindSpeedMps ?? 14} m/s, ` +
        `turbulence ${options.baseTurbulenceIntensity ?? 0.06}; ${anomalous.id} steps to ${options.steppedTurbulenceIntensity ?? 0.15} at ${hhmm(startMs, stepAtMs)}`,
    )

    // After an anomaly the loop simulates the controller and its candidates: the slowest part of the run. While
    // the dispatch server has work, say how much (its /healthz counts running and queued simulations).
    // No bar or ETA meanwhile: virtual time stands still until the decision, so its pace says nothing.
    let simulatingFor: string | undefined
    const virtualNow = () => `${hhmm(startMs, clock.nowMs())} of ${hhmm(startMs, startMs + durationMs)} virtual`
    const simulationStatus = setInterval(async () => {
      if (!simulatingFor) return
      const health = await fetch(`${dispatch.url}/healthz`).then(
        async (r) => (r.ok ? ((await r.json()) as { running: number; queued: number }) : undefined),
        () => undefined,
      )
      if (!health || !simulatingFor || health.running + health.queued === 0) return
      progress(`${virtualNow()} · simulating candidates for ${simulatingFor}: ${health.running} running, ${health.queued} waiting`)
    }, 1000)
    simulationStatus.unref()
    closers.push(async () => clearInterval(simulationStatus))
    const printing: Notifier = {
      async notify(n) {
        log(`${hhmm(startMs, clock.nowMs())} twin ${n.kind}: ${n.deviceId}: ${n.message}`)
        simulatingFor = n.kind === 'anomaly' ? n.deviceId : undefined
        if (simulatingFor) progress(`${virtualNow()} · simulating candidates for ${simulatingFor}`)
      },
    }
    const twin: TwinService = createTwinService({
      config: cloud.config.twin,
      dataDir: join(dataDir, 'cloud'),
      series,
      jobs: twinJobsFrom(jobs),
      log: logger.child({ component: 'twin' }),
      dispatchToken: token,
      notifier: printing,
      clock,
    })
    closers.push(() => twin.close())

    let appliedAtMs: number | null = null
    let lastVersion: number | undefined
    // The twin runs on the virtual clock: each virtual minute waits for the pipeline to deliver that minute's
    // telemetry, then lets the scheduler run whatever the cron expression says is due.
    clock.every(MINUTE_MS, async (t) => {
      progress(`${hhmm(startMs, t)} of ${hhmm(startMs, startMs + durationMs)} virtual`, (t - startMs) / durationMs)
      await drain(agents, series, farm.turbineIds, t - 1000)
      await twin.advanceTo(new Date(t))
      const version = anomalous.controllerVersion() ?? 0
      if (version !== lastVersion) {
        // The first version seen is the one in force at the start; a later one is an applied (or rolled back) update.
        if (lastVersion !== undefined) appliedAtMs ??= t
        lastVersion = version
        log(`${hhmm(startMs, t)} ${anomalous.id}: controller version ${version} in force (${JSON.stringify(anomalous.parameters())})`)
      }
      if ((t - startMs) % (30 * MINUTE_MS) === 0) {
        const s = farm.stats()
        log(`${hhmm(startMs, t)} farm: ${s.samplesAccepted} samples accepted, over-speed samples ${s.alarmSamples['overspeed'] ?? 0}`)
      }
    })
    await farm.start()
    closers.push(() => farm.close())
    const endMs = startMs + durationMs
    clock.at(endMs, () => undefined)
    clock.start()
    while (clock.nowMs() < endMs) await new Promise((r) => setTimeout(r, 20))
    await clock.close()
    progress('reading back the time series and the decisions', 1)
    await drain(agents, series, farm.turbineIds, endMs - 1000)

    const windows: WindowAlarms[] = []
    for (let w = startMs; w + 10 * MINUTE_MS <= endMs; w += 10 * MINUTE_MS) {
      const samples = await series.samples(anomalous.id, new Date(w), new Date(w + 10 * MINUTE_MS))
      const stats = windowStatistics(anomalous.id, new Date(w).toISOString(), new Date(w + 10 * MINUTE_MS).toISOString(), samples)
      windows.push({
        windowStart: new Date(w).toISOString(),
        overspeedEpisodes: stats.overspeedEpisodes,
        samples: samples.length,
        controllerVersion: Math.max(0, ...samples.map((s) => s.controllerVersion ?? 0)),
      })
    }
    const mean = (xs: number[]) => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length)
    const settledMs = (appliedAtMs ?? endMs) + 10 * MINUTE_MS
    const before = windows.filter(
      (w) => Date.parse(w.windowStart) >= stepAtMs && Date.parse(w.windowStart) + 10 * MINUTE_MS <= (appliedAtMs ?? endMs),
    )
    const after = windows.filter((w) => Date.parse(w.windowStart) >= settledMs)

    const decisions = (await twin.provenance.list({ limit: 1000 })).reverse()
    const jobExecutions: Record<string, string> = {}
    for (const d of decisions) {
      if (!d.jobId) continue
      const job = await jobs.describeJob(d.jobId)
      for (const e of job?.executions ?? []) jobExecutions[`${d.jobId}/${e.thingName}`] = e.status
    }
    const simulationStates: Record<string, string> = {}
    for (const d of decisions) {
      // Simulation ids by controller and seed (older records: a list per controller; Object.values reads both).
      const byController = (d.results as { simulationIds?: Record<string, Record<string, string> | string[]> } | null)?.simulationIds
      const ids = Object.values(byController ?? {}).flatMap((bySeed) => Object.values(bySeed))
      for (const id of ids) {
        const res = await fetch(`${dispatch.url}/status?id=${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${token}` } })
        simulationStates[id] = res.ok ? ((await res.json()) as { state: string }).state : `HTTP ${res.status}`
      }
    }
    const result: TurbineDemoResult = {
      turbineIds: farm.turbineIds,
      anomalousTurbine: anomalous.id,
      decisions,
      jobExecutions,
      appliedAt: appliedAtMs === null ? null : new Date(appliedAtMs).toISOString(),
      parametersAfter: { ...anomalous.parameters() },
      windows,
      episodesPer10MinBefore: mean(before.map((w) => w.overspeedEpisodes)),
      episodesPer10MinAfter: mean(after.map((w) => w.overspeedEpisodes)),
      simulationStates,
    }
    log(`${anomalous.id} over-speed episodes per 10 minutes (virtual):`)
    for (const w of windows) {
      log(
        `  ${hhmm(startMs, Date.parse(w.windowStart))}  ${'#'.repeat(w.overspeedEpisodes).padEnd(12)} ${w.overspeedEpisodes}  (controller v${w.controllerVersion})`,
      )
    }
    log(
      `over-speed episodes per 10 min: ${episodeRate(result.episodesPer10MinBefore, 'the run ended before the turbulence step')} after the turbulence step, ` +
        `${episodeRate(result.episodesPer10MinAfter, 'no update was in force before the run ended')} once the update was in force`,
    )
    return result
  } finally {
    for (const close of closers.reverse()) await close().catch((err: unknown) => logger.error({ err }, 'close failed'))
    if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true })
  }
}

/** An episode rate for people: one decimal, or why there is none (a run too short for that window). */
export function episodeRate(rate: number | null, whyNone: string): string {
  return rate === null ? `n/a (${whyNone})` : rate.toFixed(1)
}
