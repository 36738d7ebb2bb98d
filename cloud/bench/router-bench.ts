/**
 * bench:router — records per CPU-second from gzip envelopes to the local sinks: decode (gunzip + JSON + schema
 * validation), de-duplication against the persisted high-water marks, routing, and the sink writes (SQLite tracker
 * with its distance filter and durable position events, SQLite time series, the archive spool, the marks), on one
 * Node.js thread, as `edgetwin cloud run` wires them. Printed beside ceilings measured in the same run.
 *
 * Usage: router-bench.ts [rounds=12] [--repeat 4] [--profile <file.cpuprofile>]
 * Each gzip run starts on fresh files in the same process. Run 1 also compiles the hot code (V8's JIT tiers up
 * during it), so the figure held against the goal is the median of the runs after it: a router runs for days.
 * `--profile` records a V8 CPU profile of the first gzip run only (not of building the messages or the ceilings).
 * A second figure routes the position batches alone with the fleet consumers subscribed to the durable event bus as
 * `cloud run` has them (a delivery row per target in the router's transaction, then the deliveries), beside the
 * same batches with no target subscribed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { createLocalIngest } from '../src/runtime/local-ingest.js'
import { type Ceiling, measureCeilings } from './router-ceilings.js'
import { type FleetRun, runPositions } from './router-fleet.js'
import {
  type BenchMessage,
  buildMessages,
  METRICS_PER_BATCH,
  POSITIONS_PER_BATCH,
  recordsIn,
  TURBINES,
  VEHICLES,
} from './router-messages.js'

const args = process.argv.slice(2)
const option = (name: string): string | undefined => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}
const ROUNDS = Number(args.find((a, i) => /^\d+$/.test(a) && !args[i - 1]?.startsWith('--')) ?? 12)
const REPEAT = Math.max(1, Number(option('--repeat') ?? 4))
const PROFILE = option('--profile')
const GOAL_PER_CPU_S = 100_000

const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')
const perCpuS = (records: number, cpuS: number): string => Math.round(records / cpuS).toLocaleString('en')

interface RunResult {
  readonly cpuS: number
  readonly wallS: number
  readonly replayCpuS: number
}

/** One run on fresh files: every message routed, the archive flushed, then the same messages replayed. */
async function run(messages: readonly BenchMessage[], profile?: string): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'edgetwin-bench-router-'))
  // The durable event bus, as `cloud run` has it: position events are written in the tracker's transaction.
  const ingest = createLocalIngest({ dataDir: dir, logger: pino({ level: 'silent' }) })
  await ingest.start()
  const session = profile ? new Session() : undefined
  try {
    if (session) {
      session.connect()
      await session.post('Profiler.enable')
      await session.post('Profiler.start')
    }
    const start = process.hrtime.bigint()
    const c0 = process.cpuUsage()
    for (const m of messages) await ingest.router.handle(m.topic, m.payload)
    await ingest.archive.flush()
    // Pages still in the WAL are copied into the database files by a later checkpoint: that work is the run's too.
    ingest.databases.ingest.pragma('wal_checkpoint(PASSIVE)')
    const c = process.cpuUsage(c0)
    const wallS = Number(process.hrtime.bigint() - start) / 1e9
    if (session && profile) {
      const { profile: cpuProfile } = await session.post('Profiler.stop')
      writeFileSync(profile, JSON.stringify(cpuProfile))
    }
    const stats = ingest.router.stats()
    if (stats.routedRecords !== recordsIn(messages) || stats.deadLetters > 0) {
      throw new Error(`routed ${stats.routedRecords} of ${recordsIn(messages)} records, ${stats.deadLetters} dead letters`)
    }
    const r0 = process.cpuUsage()
    for (const m of messages) await ingest.router.handle(m.topic, m.payload)
    const r = process.cpuUsage(r0)
    if (ingest.router.stats().duplicateBatches !== messages.length) throw new Error('the replay was not all duplicates')
    return { cpuS: (c.user + c.system) / 1e6, wallS, replayCpuS: (r.user + r.system) / 1e6 }
  } finally {
    session?.disconnect()
    await ingest.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

function printStages(records: number, full: RunResult, ceilings: readonly Ceiling[]): void {
  const decode = ceilings.find((c) => c.name.startsWith('decodeEnvelope'))!.cpuS
  const rows: [string, number][] = [
    ...ceilings.map((c): [string, number] => [c.name, c.cpuS]),
    ['replay: decode + de-duplicate, nothing written', full.replayCpuS],
    ['de-duplicate alone (replay minus decodeEnvelope)', full.replayCpuS - decode],
    ['route + sink writes + marks (full minus replay)', full.cpuS - full.replayCpuS],
    ['full: gzip envelopes to the local sinks', full.cpuS],
  ]
  console.log(`  per stage, same records, same run (goal: <= ${(1e6 / GOAL_PER_CPU_S).toFixed(0)} µs of CPU per record):`)
  for (const [name, cpuS] of rows) {
    console.log(
      `    ${name.padEnd(52)} ${((cpuS / records) * 1e6).toFixed(2).padStart(6)} µs/record  ${perCpuS(records, cpuS).padStart(11)} records/CPU-s  ` +
        `${((cpuS / full.cpuS) * 100).toFixed(0).padStart(3)} % of full`,
    )
  }
}

console.log(`bench:router — node ${process.version}, ${cpus()[0]?.model ?? 'cpu'}, ${cpus().length} CPUs, one thread`)
console.log(
  `${TURBINES} turbines × ${METRICS_PER_BATCH}-record metrics batches + ${VEHICLES} vehicles × ${POSITIONS_PER_BATCH}-record position batches, ${ROUNDS} rounds; ` +
    'CPU-second figures hold on a shared machine, wall figures do not',
)
for (const compression of ['gzip', 'none'] as const) {
  const messages = buildMessages(ROUNDS, compression)
  const records = recordsIn(messages)
  const bytes = messages.reduce((n, m) => n + m.payload.length, 0)
  const label = compression === 'gzip' ? 'gzip envelopes (agent default)' : 'JSON envelopes'
  console.log(`\n${label}: ${records.toLocaleString('en')} records in ${messages.length} messages, ${(bytes / 1e6).toFixed(1)} MB`)
  const runs: RunResult[] = []
  for (let i = 0; i < (compression === 'gzip' ? REPEAT : 1); i++) {
    const r = await run(messages, i === 0 && compression === 'gzip' ? PROFILE : undefined)
    runs.push(r)
    console.log(
      `  run ${i + 1}: ${r.cpuS.toFixed(2)} s CPU = ${perCpuS(records, r.cpuS).padStart(7)} records per CPU-second (${(records / r.cpuS / GOAL_PER_CPU_S).toFixed(2)}× the goal); ` +
        `${r.wallS.toFixed(2)} s wall; replay ${perCpuS(records, r.replayCpuS)} per CPU-s; load ${load()}`,
    )
  }
  if (compression === 'gzip') {
    const warm = runs.length > 1 ? runs.slice(1) : runs
    const full = warm.find((r) => r.cpuS === median(warm.map((x) => x.cpuS)))!
    printStages(records, full, measureCeilings(messages))
    console.log(
      `  median of ${runs.length > 1 ? `runs 2-${runs.length} (run 1 includes the JIT warm-up)` : '1 run'}: ${perCpuS(records, full.cpuS)} records per CPU-second / ` +
        `goal ${GOAL_PER_CPU_S.toLocaleString('en')} = ${(records / full.cpuS / GOAL_PER_CPU_S).toFixed(2)}×; load ${load()}`,
    )
    if (PROFILE)
      console.log(`  CPU profile of run 1: ${PROFILE} (top self time: node --import tsx agent/bench/profile-top.ts ${PROFILE} 25)`)
  }
}

{
  const positions = buildMessages(ROUNDS, 'gzip').filter((m) => m.envelope.stream === 'position')
  const records = recordsIn(positions)
  console.log(
    `\nposition batches alone (gzip), ${records.toLocaleString('en')} records in ${positions.length} messages: no event-bus target ` +
      'subscribed (as above) and the fleet consumers subscribed as `cloud run` wires them (enrichment, position-event archive, geofence)',
  )
  const bare: FleetRun[] = []
  const fleet: FleetRun[] = []
  for (let i = 0; i < 3; i++) {
    // Alternated, so load drift falls on both; the first pair also compiles the code.
    const b = await runPositions(positions, false)
    const f = await runPositions(positions, true)
    bare.push(b)
    fleet.push(f)
    console.log(
      `  pair ${i + 1}: no target ${perCpuS(records, b.totalCpuS).padStart(7)} records per CPU-second; consumers subscribed: routing ` +
        `${perCpuS(records, f.routeCpuS).padStart(7)}, routing + ${f.delivered.toLocaleString('en')} deliveries ${perCpuS(records, f.totalCpuS).padStart(7)} per CPU-second; load ${load()}`,
    )
  }
  // Of two warm pairs, the lower CPU (the median of two would be the higher one).
  const best = (xs: readonly number[]): number => Math.min(...xs)
  const warmBare = best(bare.slice(1).map((r) => r.totalCpuS))
  const warmRoute = best(fleet.slice(1).map((r) => r.routeCpuS))
  const warmTotal = best(fleet.slice(1).map((r) => r.totalCpuS))
  console.log(
    `  best of pairs 2-3: no target ${perCpuS(records, warmBare)} (${(records / warmBare / GOAL_PER_CPU_S).toFixed(2)}× the goal); ` +
      `subscribed, routing ${perCpuS(records, warmRoute)} (${(records / warmRoute / GOAL_PER_CPU_S).toFixed(2)}×, ${(warmBare / warmRoute).toFixed(2)}× of no target); ` +
      `routing + deliveries ${perCpuS(records, warmTotal)} (${(records / warmTotal / GOAL_PER_CPU_S).toFixed(2)}×, ${(warmBare / warmTotal).toFixed(2)}× of no target); load ${load()}`,
  )
}
