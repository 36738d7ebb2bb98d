import type { TimeSeriesPoint, TimeSeriesReader } from '@edgetwin/cloud'
import type { ConsoleLiveUpdate, ConsoleVehicle } from '@edgetwin/shared-schemas'
import type { Logger } from 'pino'
import { newestTurbineSample } from './newest-sample.js'
import type { ConsoleSources } from './sources.js'

/** One connected client: the hub calls `send` at most once per tick. */
export interface LiveClient {
  send(update: ConsoleLiveUpdate, bytes: string): void
}

export interface LiveStats {
  /** Ticks that found something to push. */
  pushes: number
  /** Bytes written to all clients (SSE framing included). */
  bytes: number
  /** Position events taken from the bus. */
  positionEvents: number
  /** CPU time spent building and framing pushes, and in the bus handler, microseconds. */
  cpuMicros: number
}

export interface LiveHub {
  readonly stats: Readonly<LiveStats>
  readonly clientCount: number
  add(client: LiveClient): () => void
  /** Each turbine's newest controller version seen in its telemetry. */
  controllerVersions(): Promise<Map<string, number>>
  start(): void
  close(): Promise<void>
}

export interface LiveHubOptions {
  readonly sources: ConsoleSources
  /** Pushes are at least this far apart, so each client gets at most 1000 / pushIntervalMs per second. */
  readonly pushIntervalMs: number
  readonly logger: Logger
  readonly now?: () => Date
}

const TURBINE_LOOKBACK_MS = 3_600_000

function cpuMicros(): number {
  const u = process.cpuUsage()
  return u.user + u.system
}

/**
 * Gathers what changed (positions from the cloud's event bus; turbine samples, health reports and decisions by
 * polling their stores while someone watches) and pushes it to every client in one coalesced message per tick:
 * however many devices report, a client receives at most one push per `pushIntervalMs`.
 */
export function createLiveHub(options: LiveHubOptions): LiveHub {
  const { sources, logger } = options
  const now = options.now ?? (() => new Date())
  const clients = new Set<LiveClient>()
  const stats: LiveStats = { pushes: 0, bytes: 0, positionEvents: 0, cpuMicros: 0 }
  const pendingVehicles = new Map<string, ConsoleVehicle>()
  const turbineCursor = new Map<string, number>()
  const controllerVersion = new Map<string, number>()
  const deviceTimes = new Map<string, string>()
  let decisionHead: string | undefined
  let decisionCount: number | null = null
  let seq = 0
  let timer: NodeJS.Timeout | undefined
  let unsubscribe: (() => void) | undefined
  let closed = false
  let lastPushMs = Number.NEGATIVE_INFINITY

  const onPosition = (e: Parameters<Parameters<ConsoleSources['bus']['subscribe']>[0]>[0]) => {
    const t0 = cpuMicros()
    const d = e.detail
    stats.positionEvents++
    pendingVehicles.set(d.DeviceId, {
      deviceId: d.DeviceId,
      sampleTime: d.SampleTime,
      receivedTime: d.ReceivedTime,
      lon: d.Position[0],
      lat: d.Position[1],
      insideZone: sources.zone.contains(d.Position[0], d.Position[1]),
    })
    stats.cpuMicros += cpuMicros() - t0
  }

  /** First sight of a turbine: its cursor starts at its newest sample (its own clock), not at the server's now. */
  const firstSight = async (reader: TimeSeriesReader, deviceId: string, nowMs: number): Promise<number> => {
    const newest = await newestTurbineSample(reader, deviceId, nowMs)
    const version = newest?.measures['controllerVersion']
    if (version !== undefined) controllerVersion.set(deviceId, version)
    const cursor = newest?.timeMs ?? nowMs - TURBINE_LOOKBACK_MS
    turbineCursor.set(deviceId, cursor)
    return cursor
  }

  const pollTurbines = async (): Promise<ConsoleLiveUpdate['turbines']> => {
    const reader = sources.timeSeries
    if (!reader) return []
    const nowMs = now().getTime()
    const out: ConsoleLiveUpdate['turbines'] = []
    for (const deviceId of await reader.devices('turbine')) {
      const fromMs = (turbineCursor.get(deviceId) ?? (await firstSight(reader, deviceId, nowMs))) + 1
      const points = await reader.range({ deviceId, measurement: 'turbine', fromMs, toMs: nowMs + TURBINE_LOOKBACK_MS })
      const last: TimeSeriesPoint | undefined = points[points.length - 1]
      if (!last) continue
      turbineCursor.set(deviceId, last.timeMs)
      const version = last.measures['controllerVersion']
      if (version !== undefined) controllerVersion.set(deviceId, version)
      const m = (k: string) => last.measures[k] ?? null
      out.push({
        deviceId,
        timeMs: last.timeMs,
        rotorSpeedRpm: m('rotorSpeedRpm'),
        generatorPowerKw: m('generatorPowerKw'),
        bladePitchDeg: m('bladePitchDeg'),
        windSpeedMps: m('windSpeedMps'),
        alarms: [...new Set(points.flatMap((p) => p.alarms))],
      })
    }
    return out
  }

  const pollDevices = async (): Promise<string[]> => {
    const list = sources.deviceStatus.list
    if (!list) return []
    const changed: string[] = []
    for (const r of await list.call(sources.deviceStatus)) {
      if (deviceTimes.get(r.deviceId) === r.time) continue
      deviceTimes.set(r.deviceId, r.time)
      changed.push(r.deviceId)
    }
    return changed
  }

  const pollDecisions = async (): Promise<number | null> => {
    if (!sources.twin) return null
    const all = await sources.twin.decisions.list({ limit: 1000 })
    const head = all[0]?.id
    if (head === decisionHead) return null
    decisionHead = head
    decisionCount = all.length
    return decisionCount
  }

  const tick = async () => {
    if (clients.size === 0) return
    try {
      const [turbines, devices, decisions] = await Promise.all([pollTurbines(), pollDevices(), pollDecisions()])
      const t0 = cpuMicros()
      const vehicles = [...pendingVehicles.values()]
      pendingVehicles.clear()
      if (vehicles.length + turbines.length + devices.length === 0 && decisions === null) return
      seq++
      const update: ConsoleLiveUpdate = { seq, serverTime: now().toISOString(), vehicles, turbines, devices, decisions }
      // SSE framing (WHATWG HTML §9.2): one `data:` line (JSON has no raw newlines), a blank line ends the event.
      const frame = `id: ${seq}\nevent: update\ndata: ${JSON.stringify(update)}\n\n`
      for (const c of clients) c.send(update, frame)
      lastPushMs = Date.now()
      stats.pushes++
      stats.bytes += Buffer.byteLength(frame) * clients.size
      stats.cpuMicros += cpuMicros() - t0
    } catch (err) {
      logger.warn({ err }, 'console live update failed')
    }
  }

  // One tick at a time; the next starts a full interval after the last push, however long a tick took, so two
  // pushes are never closer than pushIntervalMs even on a busy machine.
  const loop = async () => {
    await tick()
    if (closed) return
    const waitMs = Math.max(options.pushIntervalMs / 2, lastPushMs + options.pushIntervalMs - Date.now())
    timer = setTimeout(() => void loop(), waitMs)
    timer.unref()
  }

  return {
    stats,
    get clientCount() {
      return clients.size
    },
    add(client) {
      clients.add(client)
      return () => {
        clients.delete(client)
      }
    },
    async controllerVersions() {
      // Turbines the hub has not polled yet (no client watching, or new) are read here; the others are current.
      const reader = sources.timeSeries
      if (reader) {
        const nowMs = now().getTime()
        for (const id of await reader.devices('turbine')) if (!turbineCursor.has(id)) await firstSight(reader, id, nowMs)
      }
      return new Map(controllerVersion)
    },
    start() {
      unsubscribe = sources.bus.subscribe(async (e) => onPosition(e))
      timer = setTimeout(() => void loop(), options.pushIntervalMs)
      timer.unref()
    },
    async close() {
      closed = true
      unsubscribe?.()
      if (timer) clearTimeout(timer)
      clients.clear()
    },
  }
}
