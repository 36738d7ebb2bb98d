/**
 * bench:fleet — N vehicles (default 1,000) for D simulated days, each feeding its own real agent (own SQLite
 * outbox, own MQTT connection) through the embedded broker, with a cloud-side QoS 1 subscriber counting what
 * arrives. Beside it, measured first in the same run, the ceiling: the simulator alone, the same vehicles and days
 * with every agent replaced by one that takes each position and does nothing (route planning, sampling and the
 * records, no SQLite, no MQTT), so the ratio is what the real agents and the broker cost on top of generating the
 * samples. Prints figures; it is not a test.   npm run bench:fleet -- [vehicles] [days] [intervalS]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Agent } from '@edgetwin/agent'
import { startEmbeddedBroker } from '@edgetwin/cloud'
import { TELEMETRY_FILTER } from '@edgetwin/shared-schemas'
import mqtt from 'mqtt'
import { pino } from 'pino'
import { runFleetSimulation } from '../src/index.js'

const vehicles = Number(process.argv[2] ?? 1000)
const days = Number(process.argv[3] ?? 1)
const intervalS = Number(process.argv[4] ?? 30)

/** An agent that takes every position and keeps nothing: what the simulator costs without real agents. */
function nullAgent(): Agent {
  let seq = 0
  return {
    start: async () => {},
    accept: async () => ({ seq: ++seq }),
    acceptMany: async (_stream, records) => records.map(() => ({ seq: ++seq })),
    health: () => ({ queueDepth: 0 }),
    close: async () => {},
  } as unknown as Agent
}

const cpu0 = process.cpuUsage()
const alone = await runFleetSimulation({
  vehicles,
  days,
  intervalS,
  start: '2026-10-05',
  brokerUrl: 'mqtt://127.0.0.1:1',
  dataDir: tmpdir(),
  logger: pino({ level: 'error' }),
  keepGroundTruth: false,
  agentFactory: nullAgent,
})
const cpuOf = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6
const aloneCpuS = cpuOf(process.cpuUsage(cpu0))

const started = performance.now()
const cpu1 = process.cpuUsage()
const dir = mkdtempSync(join(tmpdir(), 'edgetwin-bench-fleet-'))
let peakRss = 0
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss)
}, 200)
const broker = await startEmbeddedBroker({ port: 0 })
const subscriber = await mqtt.connectAsync(broker.url, { clientId: 'bench-fleet-cloud', protocolVersion: 4 })
let messages = 0
subscriber.on('message', () => {
  messages++
})
await subscriber.subscribeAsync(TELEMETRY_FILTER, { qos: 1 })
try {
  const r = await runFleetSimulation({
    vehicles,
    days,
    intervalS,
    start: '2026-10-05',
    brokerUrl: broker.url,
    dataDir: dir,
    logger: pino({ level: 'error' }),
    keepGroundTruth: false,
  })
  const cpuS = cpuOf(process.cpuUsage(cpu1))
  await new Promise((resolve) => setTimeout(resolve, 1000))
  const wallS = r.wallMs / 1000
  const aloneWallS = alone.wallMs / 1000
  const line = (k: string, v: string) => console.log(`${k.padEnd(34)} ${v}`)
  console.log(
    `bench:fleet  node ${process.version}, ${cpus().length} CPUs, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  )
  line('vehicles (agents, MQTT connections)', String(vehicles))
  line('simulated', `${days} day(s), a GPS sample every ${intervalS} s`)
  line('GPS samples generated', r.samples.toLocaleString('en'))
  line('kept by the agents (30 m filter)', `${r.accepted.toLocaleString('en')} (${r.filtered.toLocaleString('en')} dropped within 30 m)`)
  line('undelivered at the end', String(r.undelivered))
  line('MQTT batches received by the cloud', messages.toLocaleString('en'))
  const rate = (n: number, d: number) => Math.round(n / d).toLocaleString('en')
  line('simulation wall time', `${wallS.toFixed(1)} s = ${rate(r.samples, wallS)} samples/s`)
  line(
    'ceiling: the simulator alone',
    `${rate(alone.samples, aloneWallS)} samples/s (${alone.samples.toLocaleString('en')} samples, agents that keep nothing): ratio ${(alone.wallMs / r.wallMs).toFixed(2)}x`,
  )
  line(
    'per CPU-second (all threads)',
    `${rate(r.samples, cpuS)} samples/CPU-s; the simulator alone ${rate(alone.samples, aloneCpuS)}: ratio ${(aloneCpuS / cpuS).toFixed(2)}x`,
  )
  line('total wall (agents opened → drained)', `${((performance.now() - started) / 1000).toFixed(1)} s`)
  line('peak RSS (one process)', `${(peakRss / 1e6).toFixed(0)} MB`)
} finally {
  clearInterval(sampler)
  await subscriber.endAsync()
  await broker.close()
  rmSync(dir, { recursive: true, force: true })
}
