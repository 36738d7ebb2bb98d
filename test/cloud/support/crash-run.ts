import type { ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Agent, createAgent } from '@edgetwin/agent'
import { readArchiveObjects } from '@edgetwin/cloud'
import { ROUTES, type StreamName } from '@edgetwin/shared-schemas'
import Database from 'better-sqlite3'
import { position, tempDir, turbineSample } from '../../ingest/support/fixtures.js'
import { spawnCli, stop, waitForOutput } from '../../support/cli.js'
import type { MosquittoHandle } from '../../support/mosquitto.js'
import { storedTimeSeriesPoints } from './legacy-time-series.js'

/** A small seeded PRNG (mulberry32), so a failing run's kill moments can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface CrashRunOptions {
  readonly broker: MosquittoHandle
  readonly kills: number
  readonly seed: number
  readonly vehicles: number
  readonly turbines: number
  /** The time series store the cloud writes turbine metrics to. */
  readonly influx?: { readonly url: string; readonly database: string; query(q: string): Promise<unknown> }
}

/** What the agents had acknowledged by the broker (accepted, then drained), and what the cloud stored. */
export interface CrashRunResult {
  readonly kills: {
    readonly signal: 'SIGTERM' | 'SIGKILL'
    readonly exitCode: number | null
    /** The signal that ended the process, if one did (SIGKILL; any other means it died of something else). */
    readonly exitSignal: NodeJS.Signals | null
    /** The last lines it wrote (stdout and stderr), to tell how it ended. */
    readonly tail: string
    /** The run's error and fatal log lines (pino levels 50, 60). */
    readonly errorLogs: string[]
  }[]
  /** `deviceId sampleTime`, sorted: one per accepted position (all are > 30 m apart, so the tracker keeps them all). */
  readonly expectedPositions: string[]
  /** `deviceId seq`, sorted: one per accepted metric. */
  readonly expectedMetrics: string[]
  /** `deviceId stream seq`, sorted. */
  readonly expectedArchive: string[]
  readonly trackerRows: string[]
  readonly archivedEvents: string[]
  readonly archivedEventLines: Record<string, unknown>[]
  readonly enrichedObjects: string[]
  readonly archivedTelemetry: string[]
  /** `deviceId seq`, sorted, from whichever time series store the run used. */
  readonly storedMetrics: string[]
  readonly finalExitCode: number | null
  readonly dataDir: string
  remove(): void
}

const sorted = (xs: string[]): string[] => xs.sort()

function countRows(dataDir: string, sql: string): number {
  const file = join(dataDir, 'ingest.db')
  try {
    statSync(file)
  } catch {
    return 0
  }
  const db = new Database(file, { readonly: true, fileMustExist: true })
  try {
    return (db.prepare(sql).get() as { n: number }).n
  } catch {
    return 0
  } finally {
    db.close()
  }
}

async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

function walkFiles(dir: string): string[] {
  let entries: import('node:fs').Dirent[]
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch {
    return []
  }
  return entries.flatMap((e) => (e.isDirectory() ? walkFiles(join(dir, e.name)) : [join(dir, e.name)]))
}

/**
 * Agents publish through an external Mosquitto (persistent sessions) while `edgetwin cloud run` is stopped
 * `kills` times, alternately by SIGTERM and SIGKILL, each at a random moment after it has visibly routed
 * something, and restarted. Then the cloud runs until every acknowledged record is in, stops gracefully, and
 * everything it stored is read back for the caller to compare with what the agents had acknowledged.
 */
export async function runCrashLoop(options: CrashRunOptions): Promise<CrashRunResult> {
  const tmp = tempDir('edgetwin-crash-')
  const dataDir = join(tmp.dir, 'cloud')
  const random = seededRandom(options.seed)
  const config = {
    dataDir,
    broker: { url: options.broker.url, protocolVersion: 5, clientId: `crash-router-${options.seed}` },
    archive: { bufferIntervalS: 1 },
    events: { retryBaseDelayMs: 50, retryMaxDelayMs: 1000 },
    ...(options.influx
      ? { timeSeries: { adapter: 'influxdb', influx: { url: options.influx.url, apiVersion: 1, database: options.influx.database } } }
      : {}),
    logLevel: 'error',
  }
  const configFile = join(tmp.dir, 'cloud.json')
  writeFileSync(configFile, JSON.stringify(config))
  const agentBase = {
    logLevel: 'silent',
    healthIntervalS: 0,
    broker: { url: options.broker.url, protocolVersion: 5 },
    reconnect: { initialDelayMs: 50, maxDelayMs: 500, stableAfterMs: 1000 },
    publish: { maxRecordsPerBatch: 20 },
  }
  const agents: { agent: Agent; deviceId: string; kind: 'vehicle' | 'turbine'; lane: number }[] = []
  for (let v = 0; v < options.vehicles; v++) {
    const deviceId = `van-crash-${v}`
    const agent = createAgent({
      ...agentBase,
      deviceId,
      kind: 'vehicle',
      dataDir: join(tmp.dir, deviceId),
      vehicle: { distanceFilterM: 30 },
    })
    agents.push({ agent, deviceId, kind: 'vehicle', lane: v })
  }
  for (let t = 0; t < options.turbines; t++) {
    const deviceId = `wt-crash-${t}`
    agents.push({
      agent: createAgent({ ...agentBase, deviceId, kind: 'turbine', dataDir: join(tmp.dir, deviceId) }),
      deviceId,
      kind: 'turbine',
      lane: t,
    })
  }
  const expectedPositions: string[] = []
  const expectedMetrics: string[] = []
  const expectedArchive: string[] = []
  const lastSeq = new Map<string, number>()
  let producing = true
  const produce = async (a: (typeof agents)[number]) => {
    for (let i = 0; producing; i++) {
      if (a.kind === 'vehicle') {
        const p = position(i, { lon: -0.1276 + a.lane * 0.01 })
        const r = await a.agent.accept('position', p)
        if (r.seq !== null) {
          expectedPositions.push(`${a.deviceId} ${p.sampleTime}`)
          expectedArchive.push(`${a.deviceId} position ${r.seq}`)
          lastSeq.set(`${a.deviceId} position`, r.seq)
        }
      } else {
        const r = await a.agent.accept('metrics', turbineSample(i))
        if (r.seq !== null) {
          expectedMetrics.push(`${a.deviceId} ${r.seq}`)
          expectedArchive.push(`${a.deviceId} metrics ${r.seq}`)
          lastSeq.set(`${a.deviceId} metrics`, r.seq)
        }
      }
      await new Promise((r) => setTimeout(r, 40))
    }
  }
  const kills: CrashRunResult['kills'] = []
  let cloud: ChildProcess | undefined
  const output = new Map<ChildProcess, string[]>()
  const startCloud = async (): Promise<ChildProcess> => {
    const child = spawnCli(['cloud', 'run', '--config', configFile])
    const chunks: string[] = []
    output.set(child, chunks)
    child.stdout?.on('data', (c: Buffer) => chunks.push(c.toString()))
    child.stderr?.on('data', (c: Buffer) => chunks.push(c.toString()))
    await waitForOutput(child, /edgetwin cloud routing from/, 60_000)
    return child
  }
  const errorLogs = (child: ChildProcess): string[] =>
    (output.get(child) ?? [])
      .join('')
      .split('\n')
      .filter((l) => /"level":(50|60)/.test(l))
  const routed = () => countRows(dataDir, 'SELECT COALESCE(SUM(seq), 0) AS n FROM high_water_marks')
  try {
    // The first run creates the router's persistent session before anything is published: from then on the
    // broker queues telemetry for it while it is down.
    cloud = await startCloud()
    for (const a of agents) await a.agent.start()
    const producers = agents.map((a) => produce(a))
    for (let k = 0; k < options.kills; k++) {
      const before = routed()
      cloud ??= await startCloud()
      // A random moment while it is routing: after it has visibly advanced a high-water mark.
      await waitFor(() => routed() > before, `cloud run #${k + 1} to route something`)
      await new Promise((r) => setTimeout(r, Math.floor(random() * 1500)))
      const signal = k % 2 === 0 ? 'SIGKILL' : 'SIGTERM'
      const c = cloud
      const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => c.once('exit', (code, sig) => resolve([code, sig])))
      c.kill(signal)
      const [exitCode, exitSignal] = await exited
      const tail = (output.get(c) ?? []).join('').split('\n').slice(-8).join('\n')
      kills.push({ signal, exitCode, exitSignal, tail, errorLogs: errorLogs(c) })
      cloud = undefined
    }
    producing = false
    await Promise.all(producers)
    cloud = await startCloud()
    await waitFor(() => agents.every((a) => a.agent.health().queueDepth === 0), 'the agents to have every record acknowledged')
    // Every sink of every stream has the last acknowledged record, and every position event reached every target.
    await waitFor(() => {
      const db = new Database(join(dataDir, 'ingest.db'), { readonly: true })
      try {
        const marks = db.prepare('SELECT device_id, stream, sink, seq FROM high_water_marks').all() as Array<{
          device_id: string
          stream: StreamName
          sink: string
          seq: number
        }>
        const pending = (db.prepare('SELECT COUNT(*) AS n FROM bus_deliveries').get() as { n: number }).n
        return (
          pending === 0 &&
          [...lastSeq].every(([key, last]) => {
            const [deviceId, stream] = key.split(' ') as [string, StreamName]
            return ROUTES[stream].every(
              (sink) => (marks.find((m) => m.device_id === deviceId && m.stream === stream && m.sink === sink)?.seq ?? 0) >= last,
            )
          })
        )
      } finally {
        db.close()
      }
    }, 'every acknowledged record in every sink and every position event delivered')
    const finalExitCode = await stop(cloud)
    cloud = undefined

    const ingest = new Database(join(dataDir, 'ingest.db'), { readonly: true })
    const trackerRows = (
      ingest.prepare('SELECT device_id, sample_time FROM tracker_positions').all() as Array<{ device_id: string; sample_time: string }>
    ).map((r) => `${r.device_id} ${r.sample_time}`)
    ingest.close()
    const eventLines = readArchiveObjects(join(dataDir, 'objects'), 'position-events').flatMap((o) => o.records) as Record<
      string,
      unknown
    >[]
    const archivedEvents = eventLines.map((e) => {
      const d = e['detail'] as { DeviceId: string; SampleTime: string }
      return `${d.DeviceId} ${d.SampleTime}`
    })
    const enrichedObjects = walkFiles(join(dataDir, 'objects', 'enriched'))
      .filter((f) => f.endsWith('.json'))
      .map((f) => {
        const e = JSON.parse(readFileSync(f, 'utf8')) as { DeviceId: string; SampleTime: string }
        return `${e.DeviceId} ${e.SampleTime}`
      })
    const archivedTelemetry = (
      readArchiveObjects(join(dataDir, 'objects'), 'archive').flatMap((o) => o.records) as Array<{
        DeviceId: string
        Stream: string
        Seq: number
      }>
    ).map((r) => `${r.DeviceId} ${r.Stream} ${r.Seq}`)
    let storedMetrics: string[] = []
    if (options.influx) {
      const out = (await options.influx.query(`SELECT "seq" FROM "${options.influx.database}".."turbine" GROUP BY "device_id"`)) as {
        results: Array<{ series?: Array<{ tags: { device_id: string }; values: Array<[unknown, number]> }> }>
      }
      storedMetrics = (out.results[0]?.series ?? []).flatMap((s) => s.values.map((v) => `${s.tags.device_id} ${v[1]}`))
    } else {
      // The local time series lives in ingest.db, committed with the router's marks.
      const ts = new Database(join(dataDir, 'ingest.db'), { readonly: true })
      storedMetrics = storedTimeSeriesPoints(ts).map(([deviceId, , seq]) => `${deviceId} ${seq}`)
      ts.close()
    }
    return {
      kills,
      expectedPositions: sorted(expectedPositions),
      expectedMetrics: sorted(expectedMetrics),
      expectedArchive: sorted(expectedArchive),
      trackerRows: sorted(trackerRows),
      archivedEvents: sorted(archivedEvents),
      archivedEventLines: eventLines,
      enrichedObjects: sorted(enrichedObjects),
      archivedTelemetry: sorted(archivedTelemetry),
      storedMetrics: sorted(storedMetrics),
      finalExitCode,
      dataDir,
      remove: tmp.remove,
    }
  } finally {
    producing = false
    if (cloud) await stop(cloud)
    for (const a of agents) await a.agent.close()
  }
}
