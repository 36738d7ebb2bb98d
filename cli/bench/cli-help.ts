/**
 * bench:cli — how long `edgetwin --help` and `edgetwin agent run --help` take to answer, as a user runs them
 * (a new process each time, through cli/bin/edgetwin.js and the compiled cli/dist), beside what no CLI can beat:
 * a bare `node` that starts and exits, measured in the same run on the same machine. The target: well under a
 * second. Run `npm run build` first so cli/dist is current.
 */
import { spawnSync } from 'node:child_process'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'

const RUNS = Number(process.argv[2] ?? 15)
const TARGET_MS = 1000
const root = fileURLToPath(new URL('../..', import.meta.url))
const bin = fileURLToPath(new URL('../bin/edgetwin.js', import.meta.url))

/** Wall milliseconds of each of `RUNS` runs of `node <args>`; fails loudly if the command fails. */
function time(args: readonly string[]): number[] {
  const out: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now()
    const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' })
    out.push(performance.now() - started)
    if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  }
  return out
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

function row(name: string, samples: readonly number[]): string {
  const s = [...samples].sort((a, b) => a - b)
  const cells = [quantile(s, 0.5), quantile(s, 0.9), s[s.length - 1]!].map((ms) => `${ms.toFixed(0).padStart(6)} ms`)
  return `${name.padEnd(34)} ${cells.join('  ')}`
}

process.stdout.write(
  `bench:cli — ${RUNS} runs each, ${cpus().length} CPUs, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}\n${''.padEnd(34)} ${['median', 'p90', 'max'].map((h) => h.padStart(9)).join('  ')}\n`,
)
const baseline = time(['-e', '0'])
process.stdout.write(`${row('node -e 0 (floor)', baseline)}\n`)
const help = time([bin, '--help'])
process.stdout.write(`${row('edgetwin --help', help)}\n`)
const agentHelp = time([bin, 'agent', 'run', '--help'])
process.stdout.write(`${row('edgetwin agent run --help', agentHelp)}\n`)
const median = (xs: readonly number[]) =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  )
const worst = Math.max(median(help), median(agentHelp))
process.stdout.write(
  `target: under ${TARGET_MS} ms; slowest median ${worst.toFixed(0)} ms, ${(worst - median(baseline)).toFixed(0)} ms above node's own start-up: ` +
    `${worst < TARGET_MS ? 'within' : 'OVER'} target\n`,
)
if (worst >= TARGET_MS) process.exitCode = 1
