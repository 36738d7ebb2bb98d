/**
 * `npm run bench:agent`: the agent's throughput against a local Mosquitto, and the ceilings it is measured
 * against (better-sqlite3 alone, MQTT.js alone). Each phase runs in its own process so RSS figures are clean.
 * Not a test: it prints figures. Options: --records N (default 200000), --buffered N (default 1000000),
 * --protocol 4|5 (default 5).
 */
import { spawn } from 'node:child_process'
import { cpus, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bundleWorkspaceEntry } from '../../test/support/bundle.js'
import { startMosquitto } from '../../test/support/mosquitto.js'
import { agentEndToEnd, bufferedRss, mqttCeiling, type PhaseResult, sqliteCeiling } from './phases.js'

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback
}

/** V8 limits for the buffered-RSS phase, as the systemd unit sets them (NODE_OPTIONS): a small young generation. */
const DEVICE_NODE_FLAGS = ['--max-semi-space-size=2', '--max-old-space-size=96']

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

async function runPhase(phase: string, extra: string[] = [], nodeFlags: string[] = []): Promise<PhaseResult> {
  bundled ??= await bundleSelf()
  const child = spawn(process.execPath, [...nodeFlags, bundled, '--phase', phase, ...extra, ...process.argv.slice(2)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  child.stdout.on('data', (d) => {
    out += d
  })
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  if (code !== 0) throw new Error(`bench phase ${phase} exited with ${code}`)
  return JSON.parse(out.trim().split('\n').pop()!) as PhaseResult
}

const fmt = (v: number, digits = 0) => v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })

async function main(): Promise<void> {
  const n = Number(arg('records', '200000'))
  const buffered = Number(arg('buffered', '1000000'))
  const protocol = Number(arg('protocol', '5')) as 4 | 5
  const phase = arg('phase', '')
  const url = arg('url', '')
  if (phase) {
    const result =
      phase === 'sqlite'
        ? sqliteCeiling(n)
        : phase === 'mqtt'
          ? await mqttCeiling(url, n, protocol)
          : phase === 'agent' || phase === 'agent-plain'
            ? await agentEndToEnd(url, n, protocol, phase === 'agent' ? 'gzip' : 'none')
            : await bufferedRss(buffered)
    process.stdout.write(`${JSON.stringify(result)}\n`)
    return
  }
  const broker = await startMosquitto({ persistence: false })
  try {
    const sqlite = await runPhase('sqlite')
    const mq = await runPhase('mqtt', ['--url', broker.url])
    const agent = await runPhase('agent', ['--url', broker.url])
    const plain = await runPhase('agent-plain', ['--url', broker.url])
    const device = await runPhase('agent', ['--url', broker.url], DEVICE_NODE_FLAGS)
    const rss = await runPhase('rss', [], DEVICE_NODE_FLAGS)
    const rows: [string, string, string][] = [
      [
        'records',
        fmt(n),
        `~${fmt(sqlite.avgRecordBytes!)} bytes of JSON each; MQTT ${protocol === 5 ? '5' : '3.1.1'}, QoS 1, Mosquitto on loopback`,
      ],
      ['agent accept rate', `${fmt(agent.acceptPerS!)} rec/s`, 'validate + commit to SQLite (WAL, synchronous=FULL, group commit)'],
      ['agent end to end', `${fmt(agent.endToEndPerS!)} rec/s`, 'accepted → PUBACKed → deleted (gzip, the default)'],
      [
        'agent end to end, no gzip',
        `${fmt(plain.endToEndPerS!)} rec/s`,
        `compression none: ${fmt(plain.wireBytesPerRecord!, 1)} bytes/record on the wire`,
      ],
      [
        'ceiling: better-sqlite3',
        `${fmt(sqlite.insertDeletePerS!)} rec/s`,
        `insert (tx of 4000) + delete (ranges of 500, 8 per tx); insert alone ${fmt(sqlite.insertPerS!)} rec/s`,
      ],
      ['agent / SQLite ceiling', `${fmt(agent.endToEndPerS! / sqlite.insertDeletePerS!, 2)}x`, 'target >= 0.7x'],
      ['ceiling: MQTT.js alone', `${fmt(mq.recordsPerS!)} rec/s`, 'same gzip envelopes of 500, QoS 1, window 100'],
      [
        'bytes on the wire / record',
        fmt(agent.wireBytesPerRecord!, 1),
        `gzip envelopes (${fmt(agent.messages!)} messages); MQTT.js ceiling ${fmt(mq.wireBytesPerRecord!, 1)}`,
      ],
      ['peak RSS (end-to-end run)', `${fmt(agent.peakRssMb!, 1)} MB`, 'default V8 heap settings'],
      [
        'end to end, device V8 flags',
        `${fmt(device.endToEndPerS!)} rec/s`,
        `node ${DEVICE_NODE_FLAGS.join(' ')} (the systemd unit's NODE_OPTIONS): peak RSS ${fmt(device.peakRssMb!, 1)} MB`,
      ],
      [
        `peak RSS, ${fmt(rss.buffered!)} buffered`,
        `${fmt(rss.peakRssMb!, 1)} MB`,
        `broker unreachable; node ${DEVICE_NODE_FLAGS.join(' ')}, bundled JS; ${fmt(rss.baselineRssMb!, 1)} MB after start(), before any record; accepted at ${fmt(rss.acceptPerS!)} rec/s; target <= 64 MB`,
      ],
    ]
    const w0 = Math.max(...rows.map((r) => r[0].length))
    const w1 = Math.max(...rows.map((r) => r[1].length))
    process.stdout.write(
      `| ${'measure'.padEnd(w0)} | ${'value'.padStart(w1)} | notes |\n|${'-'.repeat(w0 + 2)}|${'-'.repeat(w1 + 1)}:|---|\n`,
    )
    for (const [a, b, c] of rows) process.stdout.write(`| ${a.padEnd(w0)} | ${b.padStart(w1)} | ${c} |\n`)
    // Shared machines skew every figure: say how busy this one was.
    const [l1, l5] = loadavg()
    process.stdout.write(
      `\n${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load average ${l1!.toFixed(1)} / ${l5!.toFixed(1)} (1 / 5 min), Node ${process.version}\n`,
    )
  } finally {
    await broker.stop()
  }
}

await main()
