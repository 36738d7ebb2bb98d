import type { ControllerParameters, DeviceEvent, TurbineSample } from '@edgetwin/shared-schemas'
import { createRandom, type TurbineState } from '@edgetwin/turbine-model'
import { type Logger, pino } from 'pino'
import type { VirtualClock } from '../clock/index.js'
import type { AgentLike } from './agent-like.js'
import { FarmError } from './errors.js'
import { FarmTurbine, type TurbineFaults } from './farm-turbine.js'
import { SENSOR_CHANNELS, type SensorChannel } from './sensors.js'
import { createSiteWind, gaussian } from './site-wind.js'

export interface FarmOptions {
  turbines: number
  /** Seeds every turbine's wind and the site drift. @default 1 */
  seed?: number
  /** Virtual time between samples per turbine. @default 1000 (1 Hz) */
  sampleIntervalMs?: number
  /** Model integration step (s). @default 0.01 */
  stepDtS?: number
  /** Long-term mean hub-height wind speed of the site (m/s). @default 11 */
  meanWindSpeedMps?: number
  /** @default 0.12 */
  turbulenceIntensity?: number
  /** Slow drift of the site's mean wind; `stdMps: 0` keeps it constant. @default { stdMps: 1.5, timeScaleS: 3600 } */
  windDrift?: { stdMps: number; timeScaleS: number }
  /** Spread of the turbines' mean wind around the site's, as a fraction (wakes, terrain). @default 0.03 */
  turbineWindSpread?: number
  /** Device ids are `<prefix><NNN>`. @default 'turbine-' */
  idPrefix?: string
  /** Also send `alarm.raised` / `alarm.cleared` events. @default true */
  alarmEvents?: boolean
  /** Unacknowledged accepts allowed across the farm before a tick waits for them (back-pressure). @default 10 × turbines */
  maxPendingAccepts?: number
}

export interface FarmDeps {
  clock: VirtualClock
  /** The agent each turbine feeds; started by `farm.start()` and closed by `farm.close()` when `manageAgents`. */
  agentFor: (turbineId: string, index: number) => AgentLike
  /** @default true */
  manageAgents?: boolean
  logger?: Logger
}

/** Per-turbine controls for fault injection and inspection. `atMs` is virtual time; default now. */
export interface FarmTurbineHandle {
  readonly id: string
  readonly agent: AgentLike
  injectTurbulence(turbulenceIntensity: number, atMs?: number): void
  injectErosion(cpScale: number, atMs?: number): void
  injectStuckSensor(channel: SensorChannel, atMs?: number): void
  clearFaults(atMs?: number): void
  faults(): Readonly<TurbineFaults>
  state(): Readonly<TurbineState>
  parameters(): Readonly<ControllerParameters>
  controllerVersion(): number | undefined
  samples(): number
}

export interface FarmStats {
  ticks: number
  samplesAccepted: number
  eventsAccepted: number
  acceptFailures: number
  pendingAccepts: number
  siteMeanWindSpeedMps: number
  /** Samples carrying each alarm, across the farm. */
  alarmSamples: Record<string, number>
  /** Wall time spent in the last tick (model + sampling, not waiting for accepts), ms. */
  lastTickWallMs: number
  maxTickWallMs: number
}

export interface Farm {
  readonly turbineIds: readonly string[]
  /** Starts the agents (when managed) and samples on the clock's schedule; the caller starts the clock. */
  start(): Promise<void>
  turbine(idOrIndex: string | number): FarmTurbineHandle
  stats(): FarmStats
  /** Stops sampling, waits for pending accepts, closes the agents (when managed). Idempotent. */
  close(): Promise<void>
}

function positive(name: string, value: number, max = Number.POSITIVE_INFINITY): number {
  if (!Number.isFinite(value) || value <= 0 || value > max) {
    throw new FarmError('SIM_FARM_INVALID_OPTIONS', `${name} must be a number in (0, ${max}], got ${value}`)
  }
  return value
}

/**
 * A wind farm in virtual time: on every sample tick each turbine's model advances to the tick's time under its own
 * turbulent wind, takes its controller parameters from its agent's store when they changed, and hands its agent a
 * TurbineSample (plus alarm edge events). Faults can be injected per turbine at a virtual time.
 */
export function createFarm(options: FarmOptions, deps: FarmDeps): Farm {
  const n = positive('turbines', options.turbines, 10_000)
  if (!Number.isInteger(n)) throw new FarmError('SIM_FARM_INVALID_OPTIONS', `turbines must be an integer, got ${n}`)
  const seed = Math.trunc(options.seed ?? 1)
  const sampleIntervalMs = positive('sampleIntervalMs', options.sampleIntervalMs ?? 1000, 3_600_000)
  const stepDtS = positive('stepDtS', options.stepDtS ?? 0.01, 0.1)
  const meanWindSpeedMps = positive('meanWindSpeedMps', options.meanWindSpeedMps ?? 11, 50)
  const turbulenceIntensity = options.turbulenceIntensity ?? 0.12
  if (!(turbulenceIntensity >= 0 && turbulenceIntensity <= 1)) {
    throw new FarmError('SIM_FARM_INVALID_OPTIONS', `turbulenceIntensity must be in [0, 1], got ${turbulenceIntensity}`)
  }
  const drift = options.windDrift ?? { stdMps: 1.5, timeScaleS: 3600 }
  const spread = options.turbineWindSpread ?? 0.03
  const prefix = options.idPrefix ?? 'turbine-'
  const maxPending = options.maxPendingAccepts ?? 10 * n
  const log = (deps.logger ?? pino({ level: 'silent' })).child({ component: 'farm' })
  const { clock } = deps

  const site = createSiteWind({ meanWindSpeedMps, driftStdMps: drift.stdMps, driftTimeScaleS: drift.timeScaleS, seed: seed * 31 + 7 })
  const offsets = createRandom(seed * 131 + 3)
  const turbines = Array.from({ length: n }, (_, i) => {
    const id = `${prefix}${String(i + 1).padStart(3, '0')}`
    const model = new FarmTurbine({
      id,
      seed: seed * 10_007 + i,
      meanWindSpeedMps,
      turbulenceIntensity,
      stepDtS,
      windOffsetFraction: Math.max(-0.3, Math.min(0.3, spread * gaussian(offsets))),
    })
    return { model, agent: deps.agentFor(id, i) }
  })
  const byId = new Map(turbines.map((t) => [t.model.id, t]))
  const stats: FarmStats = {
    ticks: 0,
    samplesAccepted: 0,
    eventsAccepted: 0,
    acceptFailures: 0,
    pendingAccepts: 0,
    siteMeanWindSpeedMps: meanWindSpeedMps,
    alarmSamples: {},
    lastTickWallMs: 0,
    maxTickWallMs: 0,
  }
  const pending = new Set<Promise<unknown>>()
  let state: 'new' | 'started' | 'closed' = 'new'
  let stopTicks: (() => void) | undefined
  const cancels: Array<() => void> = []

  function send(id: string, agent: AgentLike, stream: 'metrics' | 'events', record: TurbineSample | DeviceEvent): void {
    const p = agent.accept(stream, record).then(
      () => {
        if (stream === 'metrics') stats.samplesAccepted++
        else stats.eventsAccepted++
      },
      (err: { code?: string; message?: string }) => {
        stats.acceptFailures++
        log.warn({ turbineId: id, stream, code: err?.code, err }, 'agent refused a record')
      },
    )
    pending.add(p)
    void p.finally(() => pending.delete(p))
  }

  async function tick(timeMs: number): Promise<void> {
    const wall = performance.now()
    const siteMean = site.advance(sampleIntervalMs / 1000)
    stats.siteMeanWindSpeedMps = siteMean
    for (const { model, agent } of turbines) {
      const problem = model.syncController(agent.controller)
      if (problem) log.error({ turbineId: model.id, problem }, 'controller parameters from the store refused by the model')
      model.advance(sampleIntervalMs / 1000, siteMean)
      const { sample, events } = model.sample(timeMs)
      for (const a of sample.alarms) stats.alarmSamples[a] = (stats.alarmSamples[a] ?? 0) + 1
      send(model.id, agent, 'metrics', sample)
      if (options.alarmEvents !== false) for (const e of events) send(model.id, agent, 'events', e)
    }
    stats.ticks++
    stats.lastTickWallMs = performance.now() - wall
    stats.maxTickWallMs = Math.max(stats.maxTickWallMs, stats.lastTickWallMs)
    // Back-pressure: the agents commit in groups; do not let the simulation run away from them.
    if (pending.size > maxPending) await Promise.all([...pending])
  }

  function handle(t: (typeof turbines)[number]): FarmTurbineHandle {
    const at = (atMs: number | undefined, apply: () => void) => {
      if (atMs === undefined || atMs <= clock.nowMs()) apply()
      else cancels.push(clock.at(atMs, apply))
    }
    const m = t.model
    return {
      id: m.id,
      agent: t.agent,
      injectTurbulence: (ti, atMs) => {
        if (!(ti >= 0 && ti <= 1)) throw new FarmError('SIM_FARM_INVALID_OPTIONS', `turbulence intensity must be in [0, 1], got ${ti}`)
        at(atMs, () => m.setTurbulenceIntensity(ti))
      },
      injectErosion: (cpScale, atMs) => {
        if (!(cpScale > 0 && cpScale <= 1)) throw new FarmError('SIM_FARM_INVALID_OPTIONS', `cpScale must be in (0, 1], got ${cpScale}`)
        at(atMs, () => m.setCpScale(cpScale))
      },
      injectStuckSensor: (channel, atMs) => {
        if (!SENSOR_CHANNELS.includes(channel)) {
          throw new FarmError('SIM_FARM_INVALID_OPTIONS', `sensor channel must be one of ${SENSOR_CHANNELS.join(', ')}, got '${channel}'`)
        }
        at(atMs, () => m.stickSensor(channel))
      },
      clearFaults: (atMs) =>
        at(atMs, () => {
          m.setTurbulenceIntensity(turbulenceIntensity)
          m.setCpScale(1)
          m.stickSensor(null)
        }),
      faults: () => m.faults,
      state: () => m.state,
      parameters: () => m.parameters,
      controllerVersion: () => m.controllerVersion,
      samples: () => m.samples,
    }
  }

  return {
    turbineIds: turbines.map((t) => t.model.id),
    async start() {
      if (state !== 'new') throw new FarmError('SIM_FARM_STATE', `start() on a farm that is ${state}`)
      state = 'started'
      if (deps.manageAgents !== false) for (const t of turbines) await t.agent.start?.()
      stopTicks = clock.every(sampleIntervalMs, tick)
      log.info({ turbines: n, sampleIntervalMs, meanWindSpeedMps, turbulenceIntensity }, 'wind farm started')
    },
    turbine(idOrIndex) {
      const t = typeof idOrIndex === 'number' ? turbines[idOrIndex] : byId.get(idOrIndex)
      if (!t) throw new FarmError('SIM_FARM_UNKNOWN_TURBINE', `no turbine '${idOrIndex}' in this farm of ${n}`)
      return handle(t)
    },
    stats: () => ({ ...stats, alarmSamples: { ...stats.alarmSamples }, pendingAccepts: pending.size }),
    async close() {
      if (state === 'closed') return
      const wasStarted = state === 'started'
      state = 'closed'
      stopTicks?.()
      for (const c of cancels) c()
      await Promise.all([...pending])
      if (wasStarted && deps.manageAgents !== false) for (const t of [...turbines].reverse()) await t.agent.close?.()
      log.info({ ...stats }, 'wind farm closed')
    },
  }
}
