import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type Cloud,
  createCloud,
  createInProcessRunner,
  createJobsService,
  type FleetServices,
  fleetExtension,
  startEmbeddedBroker,
  type TwinService,
  twinExtension,
} from '@edgetwin/cloud'
import { buildConsoleAssets, type ConsoleServer, consoleMount } from '@edgetwin/console'
import {
  type BatchEnvelope,
  CONTROLLER_PARAMETER_DEFAULTS,
  type DeviceKind,
  encodeEnvelope,
  type HealthReport,
  parseConfig,
  type StreamName,
  type TurbineSample,
  telemetryTopic,
  type VehiclePosition,
  validators,
} from '@edgetwin/shared-schemas'
import { runSimulation } from '@edgetwin/turbine-model'
import mqtt, { type MqttClient } from 'mqtt'
import { pino } from 'pino'

/** A cloud as `edgetwin cloud run` composes it (embedded broker, fleet, jobs, twin with the in-process engine) with the console mounted. */
export interface ConsoleCloud {
  readonly dir: string
  readonly configFile: string
  readonly cloud: Cloud
  readonly console: ConsoleServer
  readonly fleet: FleetServices
  readonly twin: TwinService
  readonly brokerUrl: string
  /** A device's MQTT connection (publishes under its own id). */
  publisher(): Promise<Publisher>
  close(): Promise<void>
}

export interface Publisher {
  publish<T>(kind: DeviceKind, deviceId: string, stream: StreamName, records: readonly T[]): Promise<void>
  close(): Promise<void>
}

export async function startConsoleCloud(
  options: { consoleConfig?: Record<string, unknown>; env?: Record<string, string> } = {},
): Promise<ConsoleCloud> {
  const dir = mkdtempSync(join(tmpdir(), 'edgetwin-console-'))
  // The bundle is built from the current browser sources for each run, so the test never sees a stale build.
  const assetsDir = join(dir, 'assets')
  await buildConsoleAssets(assetsDir, { minify: false })
  const broker = await startEmbeddedBroker({ port: 0 })
  const input = {
    dataDir: join(dir, 'cloud'),
    broker: { url: broker.url },
    logLevel: 'warn',
    fleet: { geofence: { minDwellS: 0 } },
    twin: { enabled: true, schedule: '0 0 1 1 *', detector: { overspeedEpisodesPerWindow: 2 } },
  }
  const configFile = join(dir, 'cloud.json')
  writeFileSync(configFile, JSON.stringify(input))
  const logger = pino({ level: 'warn' })
  const jobs = createJobsService(parseConfig(validators.CloudConfig, input), logger)
  let fleet: FleetServices | undefined
  let twin: TwinService | undefined
  let server: ConsoleServer | undefined
  const mount = consoleMount({
    config: { port: 0, pushIntervalMs: 500, ...options.consoleConfig },
    jobs,
    assetsDir,
    onListening: (s) => {
      server = s
    },
  })
  const cloud = createCloud(input, {
    logger,
    env: options.env ?? {},
    extensions: [
      fleetExtension({ onReady: (s) => (fleet = s) }),
      () => ({ start: () => jobs.start(), close: () => jobs.close() }),
      twinExtension({
        jobs,
        runner: createInProcessRunner(),
        onReady: (s) => {
          twin = s
          mount.twinReady(s)
        },
      }),
      mount.extension,
    ],
  })
  await cloud.start()
  const clients: MqttClient[] = []
  return {
    dir,
    configFile,
    cloud,
    console: server!,
    fleet: fleet!,
    twin: twin!,
    brokerUrl: broker.url,
    async publisher() {
      const seq = new Map<string, number>()
      const client = await mqtt.connectAsync(broker.url, { protocolVersion: 4, clientId: `console-test-${clients.length}` })
      clients.push(client)
      return {
        async publish(kind, deviceId, stream, records) {
          // At most 1,000 records per message, well under the router's payload limit once gzipped.
          for (let i = 0; i < records.length; i += 1000) {
            const chunk = records.slice(i, i + 1000)
            const key = `${deviceId}/${stream}`
            const first = (seq.get(key) ?? 0) + 1
            seq.set(key, first + chunk.length - 1)
            const envelope: BatchEnvelope = {
              deviceId,
              kind,
              stream,
              schemaVersion: 1,
              firstSeq: first,
              lastSeq: first + chunk.length - 1,
              records: chunk.map((data, j) => ({ seq: first + j, data })),
            }
            await client.publishAsync(telemetryTopic(kind, deviceId, stream), encodeEnvelope(envelope, 'gzip'), { qos: 1 })
          }
        },
        close: () => client.endAsync(),
      }
    },
    async close() {
      for (const c of clients) await c.endAsync()
      await cloud.close()
      await broker.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Inside the 2021 ULEZ (Trafalgar Square) and well outside it (Watford). */
export const INSIDE: readonly [number, number] = [-0.1281, 51.508]
export const OUTSIDE: readonly [number, number] = [-0.3963, 51.6565]

/** A vehicle's day: starts at `start`, one fix every 10 minutes, alternating blocks inside/outside the zone. */
export function vehicleDay(start: Date, plan: readonly ('in' | 'out')[], jitterDeg = 0.002): VehiclePosition[] {
  return plan.map((where, i) => {
    const [lon, lat] = where === 'in' ? INSIDE : OUTSIDE
    // Every fix moves more than the tracker's 30 m filter, so each one is stored.
    const d = (i % 2 === 0 ? 1 : -1) * jitterDeg
    return { sampleTime: new Date(start.getTime() + i * 600_000).toISOString(), lon: lon + d, lat: lat + d }
  })
}

/** `durationS` of 1 Hz turbine telemetry from the reduced-order model, ending at `end`; over-speed alarms from the model's generator speed. */
export function turbineTelemetry(end: Date, durationS: number, turbulenceIntensity: number, seed: number): TurbineSample[] {
  const out = runSimulation({ windSpeedMps: 14, turbulenceIntensity, seed, durationS, outputDtS: 1 })
  const col = (name: string) => out.columns[out.channels.indexOf(name)]!
  const [time, wind, rotor, gen, power, torque, pitch] = ['Time', 'Wind1VelX', 'RotSpeed', 'GenSpeed', 'GenPwr', 'GenTq', 'BldPitch1'].map(
    col,
  )
  const start = end.getTime() - durationS * 1000
  const samples: TurbineSample[] = []
  for (let i = 0; i < time!.length; i++) {
    const t = start + time![i]! * 1000
    if (t >= end.getTime()) break
    samples.push({
      time: new Date(t).toISOString(),
      windSpeedMps: wind![i]!,
      rotorSpeedRpm: rotor![i]!,
      generatorSpeedRpm: gen![i]!,
      generatorPowerKw: power![i]!,
      generatorTorqueKnm: torque![i]!,
      bladePitchDeg: pitch![i]!,
      alarms: gen![i]! > CONTROLLER_PARAMETER_DEFAULTS.overspeedAlarmGeneratorSpeedRpm ? ['overspeed'] : [],
      controllerVersion: 0,
    })
  }
  return samples
}

export function healthReport(deviceId: string, time: Date, overrides: Partial<HealthReport> = {}): HealthReport {
  return {
    time: time.toISOString(),
    deviceId,
    status: 'online',
    connection: 'connected',
    queueDepth: 3,
    queueBytes: 2048,
    oldestAgeMs: 1500,
    inflight: 0,
    counters: { accepted: 120, published: 118, acked: 117, evicted: 0, rejected: 0, quarantined: 0, filtered: 4, reconnects: 1 },
    lastError: null,
    ...overrides,
  }
}

/** Polls `probe` until it returns a value other than undefined; progress-based, with a generous cap for a busy machine. */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, capMs = 60_000): Promise<T> {
  const started = Date.now()
  for (;;) {
    const v = await probe()
    if (v !== undefined) return v
    if (Date.now() - started > capMs) throw new Error(`gave up waiting for ${what} after ${capMs} ms`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
