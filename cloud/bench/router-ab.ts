/**
 * bench:router as a paired A/B in one process: the routing run of bench:router (gzip envelopes to the local sinks
 * on fresh files, the archive flushed and the WAL checkpointed inside the clock) alternated between another
 * checkout's `createLocalIngest` (A) and this one's (B), A first in odd pairs and B first in even ones. Load on a
 * shared machine drifts over seconds; the two runs of a pair see nearly the same, so their ratio is steadier than
 * runs of separate bench invocations.
 *
 * Usage: router-ab.ts <checkout A> [pairs=9]   (the checkout needs node_modules: a clone with the workspace's
 * node_modules linked, its @edgetwin/* pointing at its own packages). Pair 1 also compiles the code and is left out.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pino } from 'pino'
import { createLocalIngest } from '../src/runtime/local-ingest.js'
import { buildMessages, recordsIn } from './router-messages.js'

type Create = (options: { dataDir: string; logger: ReturnType<typeof pino> }) => {
  readonly router: { handle(topic: string, payload: Uint8Array): Promise<unknown> }
  readonly archive: { flush(): Promise<void> }
  readonly databases: Record<string, { pragma(p: string): unknown }>
  start(): Promise<void>
  close(): Promise<void>
}

const [other, pairsArg] = process.argv.slice(2)
if (!other) throw new Error('usage: router-ab.ts <checkout A> [pairs]')
const PAIRS = Number(pairsArg ?? 9)
const createA = (await import(resolve(other, 'cloud/src/runtime/local-ingest.ts'))).createLocalIngest as Create
const createB = createLocalIngest as unknown as Create
const messages = buildMessages(12, 'gzip')
const records = recordsIn(messages)

async function cpuOfRun(create: Create): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'edgetwin-bench-router-ab-'))
  const ingest = create({ dataDir: dir, logger: pino({ level: 'silent' }) })
  await ingest.start()
  try {
    const c0 = process.cpuUsage()
    for (const m of messages) await ingest.router.handle(m.topic, m.payload)
    await ingest.archive.flush()
    for (const db of Object.values(ingest.databases)) db.pragma('wal_checkpoint(PASSIVE)')
    const c = process.cpuUsage(c0)
    return (c.user + c.system) / 1e6
  } finally {
    await ingest.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

const perCpuS = (cpuS: number): string => Math.round(records / cpuS).toLocaleString('en')
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
console.log(`bench:router A/B, ${records.toLocaleString('en')} records per run; A = ${other}, B = this checkout`)
const ratios: number[] = []
for (let i = 0; i < PAIRS; i++) {
  const aFirst = i % 2 === 0
  const first = await cpuOfRun(aFirst ? createA : createB)
  const second = await cpuOfRun(aFirst ? createB : createA)
  const [a, b] = aFirst ? [first, second] : [second, first]
  if (i > 0) ratios.push(a / b)
  console.log(
    `  pair ${i + 1}${i === 0 ? ' (warm-up)' : ''}: A ${perCpuS(a).padStart(7)}  B ${perCpuS(b).padStart(7)} records per CPU-second; ` +
      `B/A ${(a / b).toFixed(3)}; load ${loadavg()[0]!.toFixed(1)}`,
  )
}
console.log(
  `  B/A, median of pairs 2-${PAIRS}: ${median(ratios).toFixed(3)} (range ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`,
)
