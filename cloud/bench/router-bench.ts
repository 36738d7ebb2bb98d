/**
 * bench:router — records per second through decode (gunzip + JSON + schema validation), de-duplication against the
 * persisted high-water marks, and routing into the local sinks (SQLite tracker with distance filter and events,
 * SQLite time series, gzip NDJSON archive spool, SQLite marks). One Node.js thread: everything here is synchronous
 * SQLite and zlib on the main thread, so it measures one core.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { type BatchEnvelope, decodeEnvelope, encodeEnvelope, telemetryTopic } from '@edgetwin/shared-schemas'
import { pino } from 'pino'
import { createLocalEventBus } from '../src/event-bus.js'
import { createLocalIngest } from '../src/runtime/local-ingest.js'

const TURBINES = 200
const VEHICLES = 50
const METRICS_PER_BATCH = 100
const POSITIONS_PER_BATCH = 50
const ROUNDS = Number(process.argv[2] ?? 12)
const T0 = Date.parse('2025-03-01T00:00:00.000Z')

function buildMessages(): Array<{ topic: string; envelope: BatchEnvelope }> {
  const out: Array<{ topic: string; envelope: BatchEnvelope }> = []
  for (let round = 0; round < ROUNDS; round++) {
    for (let t = 0; t < TURBINES; t++) {
      const first = round * METRICS_PER_BATCH + 1
      out.push({
        topic: telemetryTopic('turbine', `wt-${t}`, 'metrics'),
        envelope: {
          deviceId: `wt-${t}`,
          kind: 'turbine',
          stream: 'metrics',
          schemaVersion: 1,
          firstSeq: first,
          lastSeq: first + METRICS_PER_BATCH - 1,
          records: Array.from({ length: METRICS_PER_BATCH }, (_, i) => ({
            seq: first + i,
            data: {
              time: new Date(T0 + (first + i) * 1000).toISOString(),
              windSpeedMps: 8 + Math.sin(i) * 2,
              rotorSpeedRpm: 11 + Math.cos(i),
              generatorSpeedRpm: 1100 + i,
              generatorPowerKw: 3000 + i * 3,
              generatorTorqueKnm: 30 + i / 100,
              bladePitchDeg: 1.5,
              alarms: i === 50 ? ['overspeed'] : [],
            },
          })),
        },
      })
    }
    for (let v = 0; v < VEHICLES; v++) {
      const first = round * POSITIONS_PER_BATCH + 1
      out.push({
        topic: telemetryTopic('vehicle', `van-${v}`, 'position'),
        envelope: {
          deviceId: `van-${v}`,
          kind: 'vehicle',
          stream: 'position',
          schemaVersion: 1,
          firstSeq: first,
          lastSeq: first + POSITIONS_PER_BATCH - 1,
          records: Array.from({ length: POSITIONS_PER_BATCH }, (_, i) => ({
            seq: first + i,
            // Every other fix moves only ~10 m, so the distance filter drops half of them.
            data: {
              sampleTime: new Date(T0 + (first + i) * 1000).toISOString(),
              lon: -0.1 + v * 0.01,
              lat: 51.4 + (first + i - (i % 2) * 0.9) * 0.0001 * 4,
            },
          })),
        },
      })
    }
  }
  return out
}

/** CPU seconds `fn` takes over every payload (one thread, synchronous work). */
function cpuOf(payloads: readonly { payload: Buffer }[], fn: (p: Buffer) => unknown): number {
  const c0 = process.cpuUsage()
  for (const p of payloads) fn(p.payload)
  const c = process.cpuUsage(c0)
  return (c.user + c.system) / 1e6
}

const GOAL_PER_CPU_S = 100_000

/**
 * Where one record's CPU time goes: gunzip, JSON.parse, schema validation (decodeEnvelope minus the two), then
 * de-duplication (a replay: decode + marks, nothing written) and the sink writes with their marks (the full run
 * minus the replay). Printed per record and as records per CPU-second beside the goal.
 */
function stages(payloads: readonly { payload: Buffer }[], records: number, fullCpuS: number, replayCpuS: number): void {
  const gunzipS = cpuOf(payloads, (p) => gunzipSync(p))
  const parseS = cpuOf(payloads, (p) => JSON.parse(gunzipSync(p).toString('utf8'))) - gunzipS
  const decodeS = cpuOf(payloads, (p) => decodeEnvelope(p))
  const rows: [string, number][] = [
    ['gunzip', gunzipS],
    ['JSON.parse', parseS],
    ['validate (envelope + records)', decodeS - gunzipS - parseS],
    ['de-duplicate (replay minus decode)', replayCpuS - decodeS],
    ['route + sink writes + marks', fullCpuS - replayCpuS],
    ['total (gzip envelopes to local sinks)', fullCpuS],
  ]
  console.log(
    `  per-stage CPU (goal: >= ${GOAL_PER_CPU_S.toLocaleString('en')} records per CPU-second, i.e. <= ${(1e6 / GOAL_PER_CPU_S).toFixed(0)} µs/record)`,
  )
  for (const [name, cpuS] of rows) {
    const us = (cpuS / records) * 1e6
    console.log(`    ${name.padEnd(40)} ${us.toFixed(2).padStart(7)} µs/record  ${((cpuS / fullCpuS) * 100).toFixed(0).padStart(3)} %`)
  }
  console.log(
    `    ${'records per CPU-second / goal'.padEnd(40)} ${Math.round(records / fullCpuS).toLocaleString('en')} / ${GOAL_PER_CPU_S.toLocaleString('en')} = ${(records / fullCpuS / GOAL_PER_CPU_S).toFixed(2)}x`,
  )
}

async function run(label: string, compression: 'gzip' | 'none', replay: boolean): Promise<void> {
  const messages = buildMessages()
  const payloads = messages.map((m) => ({ topic: m.topic, payload: encodeEnvelope(m.envelope, compression) }))
  const records = messages.reduce((n, m) => n + m.envelope.records.length, 0)
  const bytes = payloads.reduce((n, p) => n + p.payload.length, 0)
  const dir = mkdtempSync(join(tmpdir(), 'edgetwin-bench-router-'))
  const ingest = createLocalIngest({ dataDir: dir, bus: createLocalEventBus(), logger: pino({ level: 'silent' }) })
  await ingest.start()
  try {
    const start = process.hrtime.bigint()
    const cpuStart = process.cpuUsage()
    for (const p of payloads) await ingest.router.handle(p.topic, p.payload)
    await ingest.archive.flush()
    const seconds = Number(process.hrtime.bigint() - start) / 1e9
    const cpu = process.cpuUsage(cpuStart)
    const cpuSeconds = (cpu.user + cpu.system) / 1e6
    const stats = ingest.router.stats()
    console.log(
      `${label.padEnd(34)} ${records.toLocaleString('en')} records in ${payloads.length} messages (${(bytes / 1e6).toFixed(1)} MB) ` +
        `in ${seconds.toFixed(2)} s wall = ${Math.round(records / seconds).toLocaleString('en')} records/s wall; ` +
        `${cpuSeconds.toFixed(2)} s CPU = ${Math.round(records / cpuSeconds).toLocaleString('en')} records per CPU-second  (routed ${stats.routedRecords}, dead letters ${stats.deadLetters})`,
    )
    if (replay) {
      const again = process.hrtime.bigint()
      const cpuAgain = process.cpuUsage()
      for (const p of payloads) await ingest.router.handle(p.topic, p.payload)
      const s = Number(process.hrtime.bigint() - again) / 1e9
      const c = process.cpuUsage(cpuAgain)
      const replayCpuS = (c.user + c.system) / 1e6
      console.log(
        `${'  replay of the same (all dropped)'.padEnd(34)} ${Math.round(records / s).toLocaleString('en')} records/s wall; ` +
          `${Math.round(records / replayCpuS).toLocaleString('en')} records per CPU-second  (duplicate batches ${ingest.router.stats().duplicateBatches})`,
      )
      stages(payloads, records, cpuSeconds, replayCpuS)
    }
  } finally {
    await ingest.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${cpus().length} CPUs (wall figures suffer when the machine is shared; CPU-second figures do not)`,
)
console.log(
  `bench:router — node ${process.version}, ${cpus()[0]?.model ?? 'cpu'}, one thread; ${TURBINES} turbines × ${METRICS_PER_BATCH}-record batches, ${VEHICLES} vehicles × ${POSITIONS_PER_BATCH}, ${ROUNDS} rounds`,
)
await run('gzip envelopes (agent default)', 'gzip', true)
await run('JSON envelopes', 'none', false)
