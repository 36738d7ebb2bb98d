import { join } from 'node:path'
import { createAgent } from '@edgetwin/agent'
import { type EmbeddedBroker, startEmbeddedBroker } from '@edgetwin/cloud'
import { type AgentConfig, TURBINE_ALARMS } from '@edgetwin/shared-schemas'
import { createFarm, createVirtualClock, type Farm, SENSOR_CHANNELS, type SensorChannel } from '@edgetwin/simulator'
import { type Command, InvalidArgumentError } from 'commander'
import { pino } from 'pino'
import { closeOnSignals } from '../lifecycle.js'
import { parsePositiveInt, parsePositiveNumber } from '../options.js'

/** A fault to inject: `<turbine|all>:<turbulence|erosion|stuck-sensor>:<at s>[:<value>]`. */
interface FaultSpec {
  turbine: string
  kind: 'turbulence' | 'erosion' | 'stuck-sensor'
  atS: number
  value: string | undefined
}

export function parseFault(spec: string, previous: FaultSpec[] = []): FaultSpec[] {
  const [turbine, kind, at, value] = spec.split(':')
  const atS = Number(at)
  if (!turbine || !(kind === 'turbulence' || kind === 'erosion' || kind === 'stuck-sensor') || !Number.isFinite(atS) || atS < 0) {
    throw new InvalidArgumentError(`fault must be <turbine|all>:<turbulence|erosion|stuck-sensor>:<at s>[:<value>], got '${spec}'`)
  }
  if (kind === 'stuck-sensor' && value && !(SENSOR_CHANNELS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`stuck-sensor channel must be one of ${SENSOR_CHANNELS.join(', ')}, got '${value}'`)
  }
  if (kind !== 'stuck-sensor' && !Number.isFinite(Number(value)))
    throw new InvalidArgumentError(`${kind} needs a numeric value, got '${spec}'`)
  return [...previous, { turbine, kind, atS, value }]
}

function parseSpeedup(value: string): number {
  if (value === 'max') return Number.POSITIVE_INFINITY
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`must be a positive number or 'max', got '${value}'`)
  return n
}

function applyFaults(farm: Farm, faults: FaultSpec[], startMs: number): void {
  for (const f of faults) {
    const targets =
      f.turbine === 'all' ? farm.turbineIds : [/^\d+$/.test(f.turbine) ? (farm.turbineIds[Number(f.turbine) - 1] ?? f.turbine) : f.turbine]
    for (const id of targets) {
      const t = farm.turbine(id)
      const atMs = startMs + f.atS * 1000
      if (f.kind === 'turbulence') t.injectTurbulence(Number(f.value), atMs)
      else if (f.kind === 'erosion') t.injectErosion(Number(f.value), atMs)
      else t.injectStuckSensor((f.value ?? 'generatorSpeedRpm') as SensorChannel, atMs)
    }
  }
}

interface SimFarmOptions {
  turbines: number
  hours: number
  speedup: number
  seed: number
  sampleIntervalMs: number
  windSpeed: number
  turbulenceIntensity: number
  broker: string
  embeddedBroker: boolean
  dataDir: string
  jobs: boolean
  fault: FaultSpec[]
  statusEveryS: number
}

/** `edgetwin sim farm`: N turbines, each the reduced-order model in virtual time feeding its own real agent. */
export function registerSimFarmCommand(program: Command): void {
  // `sim` is shared with the fleet simulator: reuse it when that registration ran first.
  const sim = program.commands.find((c) => c.name() === 'sim') ?? program.command('sim').description('simulators that feed real agents')
  sim
    .command('farm')
    .description('simulate a wind farm in virtual time, one real turbine agent per turbine')
    .requiredOption('--turbines <n>', 'number of turbines', parsePositiveInt)
    .requiredOption('--hours <h>', 'simulated hours', parsePositiveNumber)
    .option('--speedup <x>', "virtual seconds per wall second, or 'max'", parseSpeedup, 1)
    .option('--seed <n>', 'random seed', parsePositiveInt, 1)
    .option('--sample-interval-ms <ms>', 'virtual time between samples', parsePositiveInt, 1000)
    .option('--wind-speed <mps>', 'long-term mean hub-height wind speed (m/s)', parsePositiveNumber, 11)
    .option('--turbulence-intensity <ti>', 'turbulence intensity (-)', parsePositiveNumber, 0.12)
    .option('--broker <url>', 'MQTT broker URL', 'mqtt://127.0.0.1:1883')
    .option('--embedded-broker', 'start the embedded broker on the --broker port first', false)
    .option('--data-dir <dir>', "agents' outboxes go under this folder", './.edgetwin/sim-farm')
    .option('--no-jobs', 'agents without the jobs client (controller parameters stay at their defaults)')
    .option('--fault <spec>', 'inject <turbine|all>:<turbulence|erosion|stuck-sensor>:<at s>[:<value>] (repeatable)', parseFault, [])
    .option('--status-every-s <s>', 'print a status line every S wall seconds', parsePositiveNumber, 10)
    .action(async (o: SimFarmOptions) => {
      const logger = pino({ level: 'warn' })
      let broker: EmbeddedBroker | undefined
      if (o.embeddedBroker) {
        const url = new URL(o.broker)
        broker = await startEmbeddedBroker({ host: url.hostname, port: Number(url.port || 1883) })
      }
      // With --embedded-broker and port 0, the broker's own URL carries the port it got.
      const brokerUrl = broker?.url ?? o.broker
      const clock = createVirtualClock({ speedup: o.speedup })
      const agentConfig = (deviceId: string): AgentConfig =>
        ({
          deviceId,
          kind: 'turbine',
          dataDir: join(o.dataDir, deviceId),
          broker: { url: brokerUrl },
          outbox: { synchronous: 'NORMAL' },
          logLevel: 'warn',
          ...(o.jobs ? { jobs: {} } : {}),
        }) as AgentConfig
      const farm = createFarm(
        {
          turbines: o.turbines,
          seed: o.seed,
          sampleIntervalMs: o.sampleIntervalMs,
          meanWindSpeedMps: o.windSpeed,
          turbulenceIntensity: o.turbulenceIntensity,
        },
        { clock, logger, agentFor: (id) => createAgent(agentConfig(id), { logger: logger.child({ deviceId: id }) }) },
      )
      const { done, shutdown } = closeOnSignals([...(broker ? [broker] : []), { close: () => clock.close() }, farm])
      await farm.start()
      applyFaults(farm, o.fault, clock.startTimeMs)
      const endMs = clock.startTimeMs + o.hours * 3_600_000
      clock.at(endMs, () => void shutdown())
      const wallStart = performance.now()
      const status = () => {
        const s = farm.stats()
        const virtualS = (clock.nowMs() - clock.startTimeMs) / 1000
        const wallS = (performance.now() - wallStart) / 1000
        const alarms = TURBINE_ALARMS.filter((a) => s.alarmSamples[a]).map((a) => `${a}=${s.alarmSamples[a]}`)
        process.stdout.write(
          `t=${virtualS.toFixed(0)}s virtual (${(virtualS / Math.max(wallS, 1e-3)).toFixed(1)}x, lag ${(clock.lagMs() / 1000).toFixed(1)}s) ` +
            `samples=${s.samplesAccepted} pending=${s.pendingAccepts} failures=${s.acceptFailures} ` +
            `tick ${s.lastTickWallMs.toFixed(1)}ms (max ${s.maxTickWallMs.toFixed(1)}) site wind ${s.siteMeanWindSpeedMps.toFixed(1)} m/s ${alarms.join(' ')}\n`,
        )
      }
      const timer = setInterval(status, o.statusEveryS * 1000)
      process.stdout.write(
        `edgetwin sim farm: ${o.turbines} turbines (${farm.turbineIds[0]}…), ${o.hours} h at ${o.speedup === Number.POSITIVE_INFINITY ? 'max' : `${o.speedup}x`}, ` +
          `samples every ${o.sampleIntervalMs} ms, broker ${brokerUrl}\n`,
      )
      clock.start()
      await done
      clearInterval(timer)
      status()
    })
}
