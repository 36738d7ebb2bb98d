/**
 * Live wind-farm measurement (part of `npm run bench:model`): N turbines (default 100) sampled at 1 Hz in real
 * time (speedup 1), each feeding its own real agent (SQLite outbox, jobs client) over MQTT to the in-process
 * aedes broker, with a subscriber counting what arrives. Prints throughput, clock lag, tick cost, CPU and
 * event-loop delay. Usage: farm-live-bench.ts [turbines] [seconds]
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { createAgent } from '@edgetwin/agent'
import { startEmbeddedBroker } from '@edgetwin/cloud'
import { decodeEnvelope } from '@edgetwin/shared-schemas'
import { createFarm, createVirtualClock } from '@edgetwin/simulator'
import mqtt from 'mqtt'

const turbines = Number(process.argv[2] ?? 100)
const seconds = Number(process.argv[3] ?? 60)
const dir = await mkdtemp(join(tmpdir(), 'edgetwin-farm-bench-'))
const broker = await startEmbeddedBroker({ port: 0 })
let received = 0
const sub = await mqtt.connectAsync(broker.url, { protocolVersion: 4 })
sub.on('message', (_topic, payload) => {
  received += decodeEnvelope(payload).records.length
})
await sub.subscribeAsync('dt/edgetwin/turbine/+/metrics', { qos: 1 })

const clock = createVirtualClock({ speedup: 1 })
const farm = createFarm(
  { turbines, seed: 1, meanWindSpeedMps: 13, turbulenceIntensity: 0.15 },
  {
    clock,
    agentFor: (deviceId) =>
      createAgent({
        deviceId,
        kind: 'turbine',
        dataDir: join(dir, deviceId),
        broker: { url: broker.url },
        outbox: { synchronous: 'NORMAL' },
        // No jobs service answers in this bench: the jobs clients' start-next timeouts would be logged as warnings.
        logLevel: 'error',
        jobs: {},
      }),
  },
)
const setupStart = performance.now()
await farm.start()
const setupMs = performance.now() - setupStart
const loop = monitorEventLoopDelay({ resolution: 10 })
loop.enable()
const cpu0 = process.cpuUsage()
const wall0 = performance.now()
let maxLagMs = 0
const lagTimer = setInterval(() => {
  maxLagMs = Math.max(maxLagMs, clock.lagMs())
}, 250)
clock.start()
await new Promise((resolve) => setTimeout(resolve, seconds * 1000))
const wallS = (performance.now() - wall0) / 1000
const cpu = process.cpuUsage(cpu0)
const stats = farm.stats()
const virtualS = (clock.nowMs() - clock.startTimeMs) / 1000
clearInterval(lagTimer)
loop.disable()
await farm.close()
await clock.close()
await new Promise((resolve) => setTimeout(resolve, 1000))
await sub.endAsync()
await broker.close()
await rm(dir, { recursive: true, force: true })

// The tick due exactly at the end may not have run when measured.
const expected = turbines * Math.floor(virtualS - 0.5)
const line = (k: string, v: string) => process.stdout.write(`  ${k.padEnd(34)} ${v}\n`)
process.stdout.write(
  `bench:farm-live  ${turbines} turbines at 1 Hz, speedup 1, ${seconds} s wall (agents, broker, subscriber in one process)\n`,
)
line('agents started in', `${(setupMs / 1000).toFixed(1)} s`)
line('virtual time covered', `${virtualS.toFixed(1)} s in ${wallS.toFixed(1)} s wall`)
line('samples accepted by agents', `${stats.samplesAccepted} of ${expected} due (${(stats.samplesAccepted / wallS).toFixed(0)}/s)`)
line('samples received over MQTT', `${received} (${(received / wallS).toFixed(0)}/s, before close)`)
line('accept failures', String(stats.acceptFailures))
line('clock lag (max)', `${(maxLagMs / 1000).toFixed(2)} s`)
line('farm tick wall time (last / max)', `${stats.lastTickWallMs.toFixed(1)} / ${stats.maxTickWallMs.toFixed(1)} ms`)
line('CPU (user+system) / wall', `${(((cpu.user + cpu.system) / 1e6 / wallS) * 100).toFixed(0)} % of one core`)
line(
  'event-loop delay p50 / p99 / max',
  `${(loop.percentile(50) / 1e6).toFixed(1)} / ${(loop.percentile(99) / 1e6).toFixed(1)} / ${(loop.max / 1e6).toFixed(1)} ms`,
)
const ok = stats.samplesAccepted >= 0.98 * expected && maxLagMs < 2000 && stats.acceptFailures === 0
process.stdout.write(`live ${turbines}-turbine farm at 1 Hz: ${ok ? 'PASS' : 'FAIL'} (>= 98 % of samples accepted, clock lag < 2 s)\n`)
if (!ok) process.exitCode = 1
