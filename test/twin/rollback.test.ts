import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Agent, createAgent } from '@edgetwin/agent'
import {
  createCloud,
  createInProcessRunner,
  createTurbineSeries,
  createTwinService,
  type DecisionRecord,
  type EmbeddedBroker,
  LocalJobsService,
  startEmbeddedBroker,
  type TurbineSeries,
  type TwinNotification,
  twinJobsFrom,
} from '@edgetwin/cloud'
import { CONTROLLER_PARAMETER_DEFAULTS } from '@edgetwin/shared-schemas'
import { createFarm, createVirtualClock } from '@edgetwin/simulator'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/**
 * Rollback proven for real, in virtual time: one turbine (the reduced-order model) feeds a real agent → embedded
 * broker → router → SQLite time series; the twin loop investigates its over-speed alarms and sends a change through
 * the local IoT Jobs service. The turbine's pitch actuator is derated on site to 2 deg/s (a change made outside the
 * twin, which believes the default 8 deg/s is in force): every candidate that raises the pitch gains asks for more
 * pitch rate than the actuator has, so on the turbine the alarms get worse — nothing scripts it. The agent's health
 * gate sees it in its own telemetry and rolls back; the job ends FAILED with the agent's reason; the twin records the
 * rollback and does not propose that candidate to the turbine again.
 */
const MINUTE_MS = 60_000
const D = CONTROLLER_PARAMETER_DEFAULTS
const dataDir = mkdtempSync(join(tmpdir(), 'edgetwin-twin-rollback-'))
const logger = pino({ level: 'warn' })
const startMs = Date.parse('2026-10-05T00:00:00Z')
/** Virtual time allowed for the whole story; the run stops as soon as the second investigation is recorded. */
const capMs = startMs + 90 * MINUTE_MS

let broker: EmbeddedBroker
let jobs: LocalJobsService
let decisions: DecisionRecord[] = []
let parametersAtEnd: Record<string, number> = {}
const notifications: TwinNotification[] = []
const versionsSeen: number[] = []
/** Per controller version in force on the turbine: samples, and samples with each alarm (from the time series store). */
const alarmsByVersion = new Map<number, { samples: number; alarms: Record<string, number> }>()

/** Until the agent's outbox is acknowledged and the store holds its samples up to `atMs` (progress, not a deadline). */
async function delivered(agent: Agent, series: TurbineSeries, id: string, atMs: number): Promise<void> {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
  while (agent.health().queueDepth > 0) await sleep(5)
  while ((await series.samples(id, new Date(atMs - 5000), new Date(atMs + 1))).length === 0) await sleep(5)
}

beforeAll(async () => {
  broker = await startEmbeddedBroker({ port: 0 })
  jobs = new LocalJobsService({ brokerUrl: broker.url, dbPath: join(dataDir, 'jobs.db'), clientId: 'rollback-jobs', logger, tickMs: 50 })
  await jobs.start()
  const cloud = createCloud(
    {
      dataDir: join(dataDir, 'cloud'),
      broker: { url: broker.url, clientId: 'rollback-cloud' },
      logLevel: 'warn',
      twin: {
        enabled: true,
        schedule: '*/5 * * * *',
        windowMinutes: 5,
        detector: { overspeedEpisodesPerWindow: 1, cooldownMinutes: 10 },
        dispatch: { seeds: [1, 2], durationS: 300 },
        candidates: [
          { name: 'pitch-gains-x1.5', scale: { pitchProportionalGainS: 1.5, pitchIntegralGain: 1.5 } },
          { name: 'pitch-gains-x1.25', scale: { pitchProportionalGainS: 1.25, pitchIntegralGain: 1.25 } },
        ],
      },
    },
    { logger },
  )
  await cloud.start()
  const series = createTurbineSeries(cloud.ingest.timeSeriesReader!)
  const clock = createVirtualClock({ startTimeMs: startMs, speedup: Number.POSITIVE_INFINITY })
  let agent: Agent | undefined
  const farm = createFarm(
    {
      turbines: 1,
      seed: 7,
      meanWindSpeedMps: 14,
      turbulenceIntensity: 0.15,
      windDrift: { stdMps: 0, timeScaleS: 3600 },
      alarmEvents: false,
    },
    {
      clock,
      logger,
      agentFor: (id) => {
        agent = createAgent(
          {
            deviceId: id,
            kind: 'turbine',
            dataDir: join(dataDir, 'agent'),
            broker: { url: broker.url },
            outbox: { synchronous: 'NORMAL' },
            publish: { maxRecordsPerBatch: 200 },
            healthIntervalS: 0,
            logLevel: 'warn',
            // The derated actuator: set on site, unknown to the twin.
            jobs: { initialParameters: { ...D, maxPitchRateDegPerS: 2 }, healthGate: { windowS: 240, minSamples: 60 } },
          },
          { logger },
        )
        return agent
      },
    },
  )
  const turbine = farm.turbine(0)
  const twin = createTwinService({
    config: cloud.config.twin,
    dataDir: join(dataDir, 'cloud'),
    series,
    jobs: twinJobsFrom(jobs),
    log: logger.child({ component: 'twin' }),
    notifier: {
      async notify(n) {
        notifications.push(n)
      },
    },
    clock,
    runner: createInProcessRunner(),
  })
  let done = false
  clock.every(MINUTE_MS, async (t) => {
    await delivered(agent!, series, turbine.id, t - 1000)
    await twin.advanceTo(new Date(t))
    const v = turbine.controllerVersion() ?? 0
    if (versionsSeen.at(-1) !== v) versionsSeen.push(v)
    const log = await twin.provenance.list({ deviceId: turbine.id, limit: 100 })
    const rolledBack = log.find((r) => r.outcome?.status === 'FAILED')
    // Outcomes are recorded at the start of a tick, so an investigation in the same tick comes after it.
    done ||= rolledBack !== undefined && log.some((r) => r.inputs && r.createdAt >= rolledBack.createdAt)
  })
  await farm.start()
  clock.start()
  while (!done && clock.nowMs() < capMs) await new Promise((r) => setTimeout(r, 20))
  await clock.close()
  decisions = (await twin.provenance.list({ deviceId: turbine.id, limit: 100 })).reverse()
  for (const sample of await series.samples(turbine.id, new Date(startMs), new Date(clock.nowMs()))) {
    const v = sample.controllerVersion ?? 0
    const tally = alarmsByVersion.get(v) ?? { samples: 0, alarms: {} }
    tally.samples++
    for (const a of sample.alarms) tally.alarms[a] = (tally.alarms[a] ?? 0) + 1
    alarmsByVersion.set(v, tally)
  }
  parametersAtEnd = { ...turbine.parameters() }
  await farm.close()
  await twin.close()
  await cloud.close()
}, 600_000)

afterAll(async () => {
  await jobs?.close()
  await broker?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('a twin update that makes the turbine worse', () => {
  it('is applied, judged worse by the agent on its own telemetry, rolled back, and its job ends FAILED with the reason', async () => {
    const first = decisions.find((d) => d.decision.action === 'update')
    expect(first?.jobId).toBeTruthy()
    // The twin simulated what it believed was in force: the default pitch rate, not the derated one.
    expect(first!.inputs!.parametersInForce.parameters.maxPitchRateDegPerS).toBe(D.maxPitchRateDegPerS)
    const job = await jobs.describeJob(first!.jobId!)
    const execution = job?.executions?.find((e) => e.thingName === first!.deviceId)
    expect(execution?.status).toBe('FAILED')
    expect(execution?.statusDetails?.['reasonCode']).toBe('ALARMS_WORSE')
    expect(execution?.statusDetails?.['reason']).toMatch(/alarmed samples rose from [\d.]+ % \(\d+\/\d+\) to [\d.]+ % \(\d+\/\d+\)/)
    // The turbine ran the update (a new controller version), then went back: the rollback is a version of its own.
    expect(versionsSeen).toEqual([1, 2, 3])
    // What the turbine's own telemetry shows under the update (version 2) against the same controller before it
    // (version 1) and after the rollback (version 3): the derated actuator saturates, the pitch-rate limit alarm.
    const share = (v: number, alarm: string) => (alarmsByVersion.get(v)?.alarms[alarm] ?? 0) / (alarmsByVersion.get(v)?.samples ?? 1)
    expect(alarmsByVersion.get(2)?.samples).toBeGreaterThanOrEqual(60)
    expect(share(2, 'pitch-rate-limit')).toBeGreaterThan(share(1, 'pitch-rate-limit'))
    expect(share(2, 'pitch-rate-limit')).toBeGreaterThan(share(3, 'pitch-rate-limit'))
    expect(parametersAtEnd['pitchProportionalGainS']).toBe(D.pitchProportionalGainS)
    expect(parametersAtEnd['maxPitchRateDegPerS']).toBe(2)
  })

  it('is recorded by the twin with the reason, and the candidate is not proposed to that turbine again', () => {
    const first = decisions.find((d) => d.decision.action === 'update')!
    const outcome = decisions.find((d) => d.outcome?.jobId === first.jobId)
    expect(outcome?.outcome).toMatchObject({
      decisionId: first.id,
      status: 'FAILED',
      reasonCode: 'ALARMS_WORSE',
      candidate: first.decision.candidate,
    })
    expect(outcome?.decision.reason).toMatch(/rolled back .*ALARMS_WORSE: alarmed samples rose/)
    expect(notifications.some((n) => n.kind === 'failure' && n.message === outcome?.decision.reason)).toBe(true)
    const later = decisions.filter((d) => d.inputs && d.createdAt >= outcome!.createdAt)
    expect(later.length).toBeGreaterThan(0)
    for (const d of later) {
      expect(d.inputs!.controllers.map((c) => c.name)).not.toContain(first.decision.candidate)
      const setAside = (d.results as { rejectedCandidates: Array<{ name: string; reason: string }> }).rejectedCandidates
      expect(setAside.find((r) => r.name === first.decision.candidate)?.reason).toBe(outcome!.decision.reason)
    }
  })
})
