/**
 * bench:live — a fleet and a wind farm live together in real time, in one process, as a site gateway or a
 * simulation host would run them: V vehicles (default 1,000, a GPS fix every I s, default 5) and T turbines
 * (default 100, the turbine model at 1 Hz), each feeding its own real agent with its defaults (SQLite outbox,
 * WAL, synchronous=FULL, gzip batches) over MQTT to a Mosquitto on loopback. Prints samples due / accepted /
 * delivered (PUBACKed), event-loop delay and CPU. Not a test.
 *   npm run bench:live -- [vehicles] [turbines] [seconds=60] [intervalS=5]
 * EDGETWIN_BENCH_CPU_PROF=<dir> writes a V8 CPU profile of the measured window only (not the agents' start-up):
 * <dir>/live.cpuprofile, for agent/bench/profile-top.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { type Agent, createAgent } from '@edgetwin/agent'
import { createFarm, createVirtualClock, expandFleet, loadFleetFile, planDay, positionAt } from '@edgetwin/simulator'
import mqtt from 'mqtt'
import { startMosquitto } from '../../test/support/mosquitto.js'

const vehicles = Number(process.argv[2] ?? 1000)
const turbines = Number(process.argv[3] ?? 100)
const seconds = Number(process.argv[4] ?? 60)
const intervalS = Number(process.argv[5] ?? 5)
const round7 = (x: number) => Math.round(x * 1e7) / 1e7

async function inBatches<T>(items: readonly T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn))
}

const dir = mkdtempSync(join(tmpdir(), 'edgetwin-bench-live-'))
const broker = await startMosquitto({ persistence: false })
let wireBytes = 0
let messages = 0
const sub = await mqtt.connectAsync(broker.url, { clientId: 'bench-live-cloud' })
sub.on('message', (_t, p) => {
  wireBytes += p.length
  messages++
})
await sub.subscribeAsync('dt/edgetwin/+/+/+', { qos: 1 })

const common = { broker: { url: broker.url }, healthIntervalS: 0, logLevel: 'error' as const }
const vehicleAgents: Agent[] = []
const specs = expandFleet(loadFleetFile(new URL('../src/fleet/vehicles.json', import.meta.url)), vehicles, 1)
for (const v of specs) {
  vehicleAgents.push(
    createAgent({
      ...common,
      deviceId: v.deviceId,
      kind: 'vehicle',
      dataDir: join(dir, v.deviceId),
      vehicle: { distanceFilterM: 30, minIntervalS: 0 },
    }),
  )
}
const turbineAgents: Agent[] = []
const clock = createVirtualClock({ speedup: 1 })
const farm = createFarm(
  { turbines, seed: 1, meanWindSpeedMps: 13, turbulenceIntensity: 0.15 },
  {
    clock,
    agentFor: (deviceId) => {
      // No jobs service answers here: the jobs client stays off, as in bench:model's farm.
      const a = createAgent({ ...common, deviceId, kind: 'turbine', dataDir: join(dir, deviceId), jobs: {} })
      turbineAgents.push(a)
      return a
    },
  },
)
const setup0 = performance.now()
// Connect in batches: a thousand simultaneous CONNECTs is a thundering herd for any broker.
await inBatches(vehicleAgents, 50, (a) => a.start())
await farm.start()
const setupS = (performance.now() - setup0) / 1000

// Each vehicle drives its day's plan from two hours in, so it is moving (a parked one is filtered, not sent).
const dayStart = Date.UTC(2026, 9, 5)
const plans = specs.map((v, i) => planDay(v.base, dayStart, 1, i, 0))
let due = 0
let samples = 0
let kept = 0
let filtered = 0
let failures = 0
/** accept() → resolved, for stored positions: the group commit's linger plus the WAL sync it waits for. */
const acceptMs: number[] = []
const timers: NodeJS.Timeout[] = []
const profDir = process.env.EDGETWIN_BENCH_CPU_PROF
const profiler = profDir ? new Session() : undefined
if (profiler) {
  profiler.connect()
  await profiler.post('Profiler.enable')
  await profiler.post('Profiler.start')
}
const loop = monitorEventLoopDelay({ resolution: 10 })
loop.enable()
const cpu0 = process.cpuUsage()
const elu0 = performance.eventLoopUtilization()
const t0 = performance.now()
const intervalMs = intervalS * 1000
vehicleAgents.forEach((agent, i) => {
  const plan = plans[i]!
  const firstAtMs = (i / vehicles) * intervalMs
  const sample = () => {
    samples++
    const at = performance.now()
    const p = positionAt(plan, plan.startMs + 2 * 3600_000 + (performance.now() - t0))
    agent
      .accept('position', {
        sampleTime: new Date().toISOString(),
        lon: round7(p.lonLat[0]),
        lat: round7(p.lonLat[1]),
        speedMps: Math.round(p.speedMps * 10) / 10,
        headingDeg: Math.round(p.headingDeg * 10) / 10,
      })
      .then(
        (r) => {
          if (r.seq === null) filtered++
          else {
            kept++
            acceptMs.push(performance.now() - at)
          }
        },
        () => failures++,
      )
  }
  timers.push(
    setTimeout(() => {
      sample()
      timers.push(setInterval(sample, intervalMs))
    }, firstAtMs),
  )
})
clock.start()
await new Promise((r) => setTimeout(r, seconds * 1000))
const wallS = (performance.now() - t0) / 1000
for (const t of timers) clearTimeout(t)
// Ticks due up to one second before the end (the very last may still be queued when the run stops).
for (let i = 0; i < vehicles; i++) due += Math.max(0, Math.ceil((wallS * 1000 - 1000 - (i / vehicles) * intervalMs) / intervalMs))
const cpu = process.cpuUsage(cpu0)
// Busy share of the event loop: above the CPU share, the loop is blocked waiting (on fsync), not computing.
const elu = performance.eventLoopUtilization(elu0).utilization
const virtualS = (clock.nowMs() - clock.startTimeMs) / 1000
const turbineDue = turbines * Math.floor(virtualS - 0.5)
const p99 = loop.percentile(99) / 1e6
const p50 = loop.percentile(50) / 1e6
const max = loop.max / 1e6
loop.disable()
if (profiler && profDir) {
  const { profile } = await profiler.post('Profiler.stop')
  mkdirSync(profDir, { recursive: true })
  writeFileSync(join(profDir, 'live.cpuprofile'), JSON.stringify(profile))
  profiler.disconnect()
}
await clock.close()
const farmStats = farm.stats()
// Delivered: PUBACKed by the broker, waited for on progress (every outbox empty).
const all = [...vehicleAgents, ...turbineAgents]
const drain0 = performance.now()
let left = Number.POSITIVE_INFINITY
for (let last = -1, still = 0; left > 0 && still < 100; ) {
  left = all.reduce((n, a) => n + a.health().queueDepth, 0)
  still = left === last ? still + 1 : 0
  last = left
  await new Promise((r) => setTimeout(r, 100))
}
const drainS = (performance.now() - drain0) / 1000
const vehicleAcked = vehicleAgents.reduce((n, a) => n + a.health().counters.acked, 0)
const turbineAcked = turbineAgents.reduce((n, a) => n + a.health().counters.acked, 0)
await farm.close()
await inBatches(vehicleAgents, 100, (a) => a.close())
await sub.endAsync()
await broker.stop()
rmSync(dir, { recursive: true, force: true })

const line = (k: string, v: string) => process.stdout.write(`  ${k.padEnd(40)} ${v}\n`)
const [l1, l5] = loadavg()
process.stdout.write(
  `bench:live  ${vehicles} vehicles (a fix every ${intervalS} s) + ${turbines} turbines (1 Hz), ${seconds} s wall, synchronous=FULL, Mosquitto on loopback; ${cpus().length} CPUs, load average ${l1!.toFixed(1)} / ${l5!.toFixed(1)}, Node ${process.version}\n`,
)
line('agents started in', `${setupS.toFixed(1)} s`)
line('vehicle positions: due / sampled', `${due} / ${samples} (${((samples / due) * 100).toFixed(1)} %)`)
line('  accepted: stored / filtered (30 m)', `${kept} / ${filtered}; failures ${failures}`)
line('  delivered (PUBACKed)', `${vehicleAcked} of ${kept} stored`)
acceptMs.sort((a, b) => a - b)
const pct = (q: number) => (acceptMs[Math.min(acceptMs.length - 1, Math.floor(q * acceptMs.length))] ?? Number.NaN).toFixed(1)
line('  accept → durable (stored) p50 / p99', `${pct(0.5)} / ${pct(0.99)} ms (group commit linger + WAL sync)`)
line(
  'turbine samples: due / accepted',
  `${turbineDue} / ${farmStats.samplesAccepted} (${((farmStats.samplesAccepted / turbineDue) * 100).toFixed(1)} %)`,
)
line(
  '  delivered (PUBACKed, with events)',
  `${turbineAcked} records: ${farmStats.samplesAccepted} samples + ${farmStats.eventsAccepted} farm events + the agents' own events; accept failures ${farmStats.acceptFailures}`,
)
line('left in outboxes after the run', `${left} (waited ${drainS.toFixed(1)} s)`)
line('MQTT messages / wire bytes per record', `${messages} / ${(wireBytes / Math.max(1, vehicleAcked + turbineAcked)).toFixed(1)}`)
line('CPU (user+system) / wall', `${(((cpu.user + cpu.system) / 1e6 / wallS) * 100).toFixed(0)} % of one core`)
line('event loop busy (utilization)', `${(elu * 100).toFixed(0)} % (above the CPU share: blocked on I/O such as fsync)`)
line('event-loop delay p50 / p99 / max', `${p50.toFixed(1)} / ${p99.toFixed(1)} / ${max.toFixed(1)} ms (goal: p99 <= 100 ms)`)
const ok =
  samples >= due &&
  turbineDue > 0 &&
  farmStats.samplesAccepted >= turbineDue &&
  failures === 0 &&
  left === 0 &&
  vehicleAcked >= kept &&
  turbineAcked >= farmStats.samplesAccepted &&
  p99 <= 100
process.stdout.write(`bench:live: ${ok ? 'PASS' : 'FAIL'} (every sample due accepted and delivered, event-loop p99 <= 100 ms)\n`)
if (!ok) process.exitCode = 1
