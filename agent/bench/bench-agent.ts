/**
 * `npm run bench:agent`: the agent against a local Mosquitto, each figure beside the ceiling that binds it,
 * measured in the same run on the same machine, and the ratio. Each phase runs in its own process so RSS figures
 * are clean. Not a test: it prints figures. Options: --records N (200 B records, default 200000), --records2k N
 * (2 KB records, default 100000), --buffered N (default 1000000), --protocol 4|5 (default 5),
 * --only a,b (phases: sqlite, mqtt, composite, peer, agent, many, device, drain, loss, wire), --transport sdk (adds the agent end to end
 * over the AWS IoT Device SDK v2 transport, MQTT 5, beside the MQTT.js transport's figures).
 */
import { spawn } from 'node:child_process'
import { cpus, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bundleWorkspaceEntry } from '../../test/support/bundle.js'
import { startMosquitto } from '../../test/support/mosquitto.js'
import { agentEndToEnd, mqttCeiling, type PhaseResult, sqliteCeiling } from './phases.js'
import type { RecordSize } from './records.js'
import { fmt, median, type Row, ratio, sizeRows, split, u } from './report.js'
import { BUNDLE_MAIN, unitIdleRssMb } from './unit-idle.js'

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback
}

/**
 * V8 limits as the systemd unit sets them (NODE_OPTIONS): a small young generation, a capped old one.
 * EDGETWIN_BENCH_DEVICE_FLAGS (space-separated) measures other flags before the unit is changed to them.
 */
const DEVICE_NODE_FLAGS = process.env.EDGETWIN_BENCH_DEVICE_FLAGS?.split(' ').filter(Boolean) ?? [
  '--max-semi-space-size=2',
  '--max-old-space-size=96',
]
/** The unit's environment for glibc (see examples/edgetwin-agent.service): two malloc arenas, not one per thread. */
const DEVICE_ENV = { MALLOC_ARENA_MAX: '2' }

/**
 * Bundles this script (our workspace sources; npm dependencies stay external) so every phase runs as plain
 * JavaScript, as an installed agent runs from dist/, without the TypeScript loader's time and memory.
 */
async function bundleSelf(): Promise<string> {
  const self = fileURLToPath(import.meta.url)
  const outDir = join(dirname(self), '..', '..', 'node_modules', '.cache', 'edgetwin-bench')
  return bundleWorkspaceEntry(self, join(outDir, 'bench-agent.mjs'), 'warning')
}

let bundled: string | undefined
let leanBundled: string | undefined

/** The fleet simulator's vehicles (the bundle runs elsewhere, so the parent names the file). */
const FLEET_FILE = fileURLToPath(new URL('../../simulator/src/fleet/vehicles.json', import.meta.url))

/** The memory phases' own small bundle (lean-phase.ts). */
async function bundleLean(): Promise<string> {
  const entry = fileURLToPath(new URL('./lean-phase.ts', import.meta.url))
  return bundleWorkspaceEntry(
    entry,
    join(dirname(entry), '..', '..', 'node_modules', '.cache', 'edgetwin-bench', 'lean-phase.mjs'),
    'warning',
  )
}

async function runPhase(phase: string, extra: string[] = [], nodeFlags: string[] = [], lean = false, env = {}): Promise<PhaseResult> {
  bundled ??= await bundleSelf()
  leanBundled ??= await bundleLean()
  const prof = process.env.EDGETWIN_BENCH_CPU_PROF
  const flags = prof
    ? [
        ...nodeFlags,
        '--cpu-prof',
        `--cpu-prof-dir=${prof}`,
        `--cpu-prof-name=${phase}${extra.includes('--size') ? `-${extra[extra.indexOf('--size') + 1]}` : ''}${nodeFlags.length ? '-device' : ''}.cpuprofile`,
      ]
    : nodeFlags
  const child = spawn(process.execPath, [...flags, lean ? leanBundled : bundled, '--phase', phase, ...process.argv.slice(2), ...extra], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  })
  let out = ''
  child.stdout.on('data', (d) => {
    out += d
  })
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  if (code !== 0) throw new Error(`bench phase ${phase} exited with ${code}`)
  return JSON.parse(out.trim().split('\n').pop()!) as PhaseResult
}

/** Bare Node.js with MQTT.js loaded and connected as the agent connects it (writeCache off), nothing else: the floor under the agent's memory. */
async function bareMqtt(url: string, nodeFlags: string[], env: Record<string, string>): Promise<PhaseResult> {
  const script = `import mqtt from 'mqtt'
const client = await mqtt.connectAsync(${JSON.stringify(url)}, { clientId: 'bench-bare', writeCache: false })
await new Promise((r) => setTimeout(r, 500))
const rssMb = process.memoryUsage().rss / 2 ** 20
await client.endAsync()
process.stdout.write(JSON.stringify({ rssMb }) + '\\n')`
  const child = spawn(process.execPath, [...nodeFlags, '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  })
  let out = ''
  child.stdout.on('data', (d) => {
    out += d
  })
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  if (code !== 0) throw new Error(`bare MQTT.js phase exited with ${code}`)
  return JSON.parse(out) as PhaseResult
}

async function phaseMain(phase: string): Promise<PhaseResult> {
  const protocol = Number(arg('protocol', '5')) as 4 | 5
  const size = arg('size', '200B') as RecordSize
  const n = Number(size === '2KB' ? arg('records2k', '100000') : arg('records', '200000'))
  const url = arg('url', '')
  switch (phase) {
    case 'sqlite':
      return sqliteCeiling(n, size)
    case 'mqtt':
      return mqttCeiling(url, n, protocol, size)
    case 'peer':
      return (await import('./peers.js')).peerMqttJs(url, n, protocol, size)
    case 'composite':
      return (await import('./composite.js')).durablePipelineCeiling(url, n, protocol, size)
    case 'agent-sdk':
      return agentEndToEnd(url, n, 5, 'gzip', size, 'aws-iot-sdk')
    case 'agent-many':
      return agentEndToEnd(url, n, protocol, 'gzip', size, 'mqttjs', Number(arg('per-call', '100')))
    case 'agent':
    case 'agent-plain':
      return agentEndToEnd(url, n, protocol, phase === 'agent' ? 'gzip' : 'none', size)
    case 'drain':
      return (await import('./drain.js')).bufferedThenDrain(Number(arg('buffered', '1000000')))
    case 'loss':
      return (await import('./peers.js')).peerOfflineLoss(100_000)
    case 'wire':
      return (await import('./wire.js')).realisticWire(url, arg('fleet-file', ''))
    default:
      throw new Error(`unknown phase ${phase}`)
  }
}

async function main(): Promise<void> {
  const protocol = arg('protocol', '5')
  const only = new Set(arg('only', 'sqlite,mqtt,composite,peer,agent,many,device,drain,loss,wire').split(','))
  const sdk = arg('transport', 'mqttjs') === 'sdk'
  if (sdk) only.add('agent')
  const broker = await startMosquitto({ persistence: false })
  const rows: Row[] = []
  const r: Record<string, PhaseResult> = {}
  /** Idle RSS of `edgetwin-agent.mjs agent run` (the unit's ExecStart), one per run; empty when it is not built. */
  const bundleRuns: number[] = []
  const run = async (key: string, phase: string, extra: string[] = [], flags: string[] = [], lean = false, env = {}) => {
    r[key] = await runPhase(phase, ['--url', broker.url, ...extra], flags, lean, env)
  }
  try {
    for (const size of ['200B', '2KB'] as const) {
      const s = ['--size', size]
      if (only.has('sqlite')) await run(`sqlite${size}`, 'sqlite', s)
      if (only.has('mqtt')) await run(`mqtt${size}`, 'mqtt', s)
      if (only.has('composite')) await run(`composite${size}`, 'composite', s)
      if (only.has('peer')) await run(`peer${size}`, 'peer', s)
      if (only.has('agent')) await run(`agent${size}`, 'agent', s)
      if (only.has('many')) await run(`many${size}`, 'agent-many', s)
      if (sdk) await run(`sdk${size}`, 'agent-sdk', s)
    }
    if (only.has('agent')) await run('plain', 'agent-plain', ['--size', '200B'])
    if (only.has('device')) {
      await run('device', 'agent', ['--size', '200B'], DEVICE_NODE_FLAGS, true, DEVICE_ENV)
      // The floor and the single-file agent alternate, three times each, so a load spike hits both, not one.
      const bares: number[] = []
      for (let i = 0; i < 3; i++) {
        bares.push((await bareMqtt(broker.url, DEVICE_NODE_FLAGS, DEVICE_ENV)).rssMb!)
        const mb = await unitIdleRssMb(broker.url, DEVICE_NODE_FLAGS, DEVICE_ENV, BUNDLE_MAIN)
        if (mb !== undefined) bundleRuns.push(mb)
      }
      r.bare = { rssMb: median(bares) }
      const unitMb = await unitIdleRssMb(broker.url, DEVICE_NODE_FLAGS, DEVICE_ENV)
      if (unitMb !== undefined) r.unit = { rssMb: unitMb }
    }
    if (only.has('drain')) await run('drain', 'drain', [], [...DEVICE_NODE_FLAGS, '--expose-gc'], true, DEVICE_ENV)
    if (only.has('loss')) await run('loss', 'loss')
    if (only.has('wire')) await run('wire', 'wire', ['--fleet-file', FLEET_FILE])
  } finally {
    await broker.stop()
  }
  for (const size of ['200B', '2KB'] as const) rows.push(...sizeRows(r, size, arg('per-call', '100')))
  const p = r.plain
  const d = r.device
  const dr = r.drain
  const bare = r.bare
  const w = r.wire
  const loss = r.loss
  rows.push(
    [
      'agent end to end, 200 B, no gzip',
      `${u(p?.endToEndPerS, 'rec/s')}`,
      `SQLite pipeline ${u(r.sqlite200B?.pipelinePerS, 'rec/s')}`,
      ratio(p?.endToEndPerS, r.sqlite200B?.pipelinePerS),
      '-',
    ],
    [
      'end to end, device V8 flags',
      `${u(d?.endToEndPerS, 'rec/s')}`,
      `SQLite pipeline ${u(r.sqlite200B?.pipelinePerS, 'rec/s')}`,
      ratio(d?.endToEndPerS, r.sqlite200B?.pipelinePerS),
      '>= 0.7x',
    ],
    [
      'peak RSS end to end, device flags',
      `${u(d?.peakRssMb, 'MB', 1)}${split(d?.peakHeapMb, d?.peakOutsideHeapMb)}`,
      `bare Node + MQTT.js ${u(bare?.rssMb, 'MB', 1)}`,
      ratio(d?.peakRssMb, bare?.rssMb),
      '<= 100 MB',
    ],
    [
      'peak RSS end to end, default V8',
      `${u(r.agent200B?.peakRssMb, 'MB', 1)}${split(r.agent200B?.peakHeapMb, r.agent200B?.peakOutsideHeapMb)}`,
      `bare Node + MQTT.js ${u(bare?.rssMb, 'MB', 1)}`,
      ratio(r.agent200B?.peakRssMb, bare?.rssMb),
      '-',
    ],
    [
      'RSS idle after start() (after a GC)',
      `${u(dr?.idleRssMb, 'MB', 1)}`,
      `bare Node + MQTT.js ${u(bare?.rssMb, 'MB', 1)}`,
      ratio(dr?.idleRssMb, bare?.rssMb),
      '<= 70 MB',
    ],
    [
      'RSS idle, `edgetwin agent run` as the unit runs it (no GC forced)',
      `${u(r.unit?.rssMb, 'MB', 1)}`,
      `bare Node + MQTT.js ${u(bare?.rssMb, 'MB', 1)}`,
      ratio(r.unit?.rssMb, bare?.rssMb),
      '<= 70 MB',
    ],
    [
      'RSS idle, `edgetwin-agent.mjs` (bundle) as the unit runs it (no GC forced), median of 3',
      only.has('device')
        ? bundleRuns.length > 0
          ? `${u(median(bundleRuns), 'MB', 1)} (${bundleRuns.map((v) => fmt(v, 1)).join(' / ')})`
          : 'not built (npm run bundle:agent)'
        : 'not run',
      `bare Node + MQTT.js ${u(bare?.rssMb, 'MB', 1)} (median of 3)`,
      ratio(bundleRuns.length > 0 ? median(bundleRuns) : undefined, bare?.rssMb),
      '<= 70 MB',
    ],
    [
      `RSS added by ${fmt(dr?.buffered)} buffered (after a GC)`,
      `${u(dr ? dr.bufferedRssMb! - dr.idleRssMb! : undefined, 'MB', 1)} (peak while buffering ${u(dr?.bufferPeakRssMb, 'MB', 1)})`,
      `accepted at ${u(dr?.acceptPerS, 'rec/s')}, broker down`,
      '-',
      '<= 10 MB',
    ],
    [
      `drain of ${fmt(dr?.buffered)} (broker returns)`,
      `${fmt(dr?.drainS, 1)} s, ${u(dr?.drainPerS, 'rec/s')}`,
      `SQLite pipeline ${u(r.sqlite200B?.pipelinePerS, 'rec/s')}`,
      ratio(dr?.drainPerS, r.sqlite200B?.pipelinePerS),
      `reconnected after ${fmt(dr?.reconnectS, 1)} s`,
    ],
    [
      'peak RSS during the drain',
      `${u(dr?.drainPeakRssMb, 'MB', 1)}${split(dr?.drainPeakHeapMb, dr?.drainPeakOutsideHeapMb)}`,
      `bare Node + MQTT.js ${u(bare?.rssMb, 'MB', 1)}`,
      ratio(dr?.drainPeakRssMb, bare?.rssMb),
      '<= 100 MB',
    ],
    [
      'bytes on the wire / record, bench 200 B',
      fmt(r.agent200B?.wireBytesPerRecord, 1),
      `JSON ${fmt(p?.wireBytesPerRecord, 1)}`,
      ratio(r.agent200B?.wireBytesPerRecord, p?.wireBytesPerRecord),
      'keep',
    ],
    [
      `bytes / record, turbine model (${fmt(w?.turbineRecords)})`,
      fmt(w?.turbineWireBytes, 1),
      `JSON ${fmt(w?.turbineJsonBytes, 1)}`,
      ratio(w?.turbineWireBytes, w?.turbineJsonBytes),
      'keep',
    ],
    [
      `bytes / record, fleet sim (${fmt(w?.vehicleRecords)} of ${fmt(w?.vehicleSamples)} kept)`,
      fmt(w?.vehicleWireBytes, 1),
      `JSON ${fmt(w?.vehicleJsonBytes, 1)}`,
      ratio(w?.vehicleWireBytes, w?.vehicleJsonBytes),
      'keep',
    ],
    [
      'peer: MQTT.js offline, QoS 1',
      `${fmt(loss?.arrived)} of ${fmt(loss?.published)} arrived`,
      `agent: ${fmt(dr?.buffered)} of ${fmt(dr?.buffered)} buffered, all drained`,
      ratio(loss?.arrived, loss?.published),
      'agent loses none',
    ],
  )
  const head: Row = ['figure', 'measured', 'ceiling / reference, same run', 'ratio', 'goal']
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)))
  const line = (row: Row) => `| ${row.map((c, i) => (i === 1 || i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |\n`
  process.stdout.write(line(head))
  process.stdout.write(`|${widths.map((w, i) => (i === 1 || i === 3 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|\n`)
  for (const row of rows) if (!row[1].startsWith('not run')) process.stdout.write(line(row))
  // Shared machines skew every figure: say how busy this one was.
  const [l1, l5] = loadavg()
  process.stdout.write(
    `\nMQTT ${protocol === '5' ? '5' : '3.1.1'}, QoS 1, Mosquitto on loopback; WAL, synchronous=FULL; ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load average ${l1!.toFixed(1)} / ${l5!.toFixed(1)} (1 / 5 min), Node ${process.version}\n`,
  )
}

const phase = arg('phase', '')
// aws-crt keeps the process alive after its MQTT 5 client is closed (awslabs/aws-crt-nodejs#600): that phase exits.
if (phase) process.stdout.write(`${JSON.stringify(await phaseMain(phase))}\n`, () => phase === 'agent-sdk' && process.exit(0))
else await main()
