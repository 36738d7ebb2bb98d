import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CONTROLLER_PARAMETER_DEFAULTS, parseConfig, type TurbineSample, validators } from '@edgetwin/shared-schemas'
import { DEFAULT_CALIBRATION, MODEL_VERSION } from '@edgetwin/turbine-model'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { modelTelemetry } from '../../../test/twin/support/turbine-telemetry.js'
import { createInProcessRunner } from './in-process-runner.js'
import type { Notifier, TwinNotification } from './notifier.js'
import type { ControllerUpdateJob, TurbineSeries, TwinJobExecutionStatus, TwinJobs } from './ports.js'
import { ProvenanceStore } from './provenance-store.js'
import { TwinLoop } from './twin-loop.js'

const telemetry = modelTelemetry

class RecordingJobs implements TwinJobs {
  readonly created: ControllerUpdateJob[] = []
  status: TwinJobExecutionStatus = 'QUEUED'
  statusDetails: Record<string, string> | undefined
  async createJob(job: ControllerUpdateJob) {
    this.created.push(job)
  }
  async executionStatus() {
    return this.status
  }
  async execution() {
    return { status: this.status, ...(this.statusDetails ? { statusDetails: this.statusDetails } : {}) }
  }
}

class RecordingNotifier implements Notifier {
  readonly sent: TwinNotification[] = []
  async notify(n: TwinNotification) {
    this.sent.push(n)
  }
}

describe('twin loop', () => {
  const dirs: string[] = []
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })

  function setup(samplesByTurbine: Record<string, TurbineSample[]>, overrides: Record<string, unknown> = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'edgetwin-twin-'))
    dirs.push(dir)
    const series: TurbineSeries = {
      turbines: async () => Object.keys(samplesByTurbine),
      samples: async (id, from, to) =>
        (samplesByTurbine[id] ?? []).filter((s) => Date.parse(s.time) >= from.getTime() && Date.parse(s.time) < to.getTime()),
    }
    const jobs = new RecordingJobs()
    const notifier = new RecordingNotifier()
    const provenance = new ProvenanceStore(join(dir, 'twin.db'))
    const config = parseConfig(validators.CloudConfig, {
      twin: { enabled: true, detector: { overspeedEpisodesPerWindow: 2 }, ...overrides },
    }).twin
    const loop = new TwinLoop({
      config,
      series,
      runner: createInProcessRunner(),
      jobs,
      notifier,
      provenance,
      log: pino({ level: 'silent' }),
    })
    const newLoop = () =>
      new TwinLoop({ config, series, runner: createInProcessRunner(), jobs, notifier, provenance, log: pino({ level: 'silent' }) })
    return { loop, jobs, notifier, provenance, config, newLoop }
  }

  const start = new Date('2026-10-01T12:00:00Z')
  const end = new Date(start.getTime() + 600_000)

  it('investigates a turbulent turbine, chooses a candidate inside the envelope and sends it to that turbine first', async () => {
    const { loop, jobs, notifier, provenance, config, newLoop } = setup(
      { 'turbine-1': telemetry(0.15, 11, start), 'turbine-2': telemetry(0.05, 12, start) },
      { rollout: { group: ['turbine-2'] } },
    )
    const outcomes = await loop.tick(end)
    expect(outcomes.find((o) => o.deviceId === 'turbine-2')?.decision).toBeUndefined()
    const decided = outcomes.find((o) => o.deviceId === 'turbine-1')?.decision
    expect(decided?.decision.action).toBe('update')
    expect(jobs.created).toHaveLength(1)
    const job = jobs.created[0]!
    expect(job.targets).toEqual(['turbine-1'])
    expect(job.document.operation).toBe('controller-update')
    expect(job.document.version).toBe(1)
    for (const [name, value] of Object.entries(job.document.parameters)) {
      const bound = config.envelope[name]!
      expect(value).toBeGreaterThanOrEqual(bound.min)
      expect(value).toBeLessThanOrEqual(bound.max)
    }
    const [record] = await provenance.list()
    expect(record?.jobId).toBe(job.jobId)
    expect(record?.inputsHash).toMatch(/^[0-9a-f]{64}$/)
    expect(record?.seeds).toEqual([1, 2, 3])
    expect(record?.conditions['turbulenceIntensity']).toBeGreaterThan(0.1)
    expect(notifier.sent.map((n) => n.kind)).toEqual(['anomaly', 'decision'])
    // The job names the record it came from, and the record holds the inputs themselves.
    expect(job.document.decisionId).toBe(record?.id)
    const inputs = record!.inputs!
    expect(inputs.parametersInForce).toEqual({ version: 0, parameters: CONTROLLER_PARAMETER_DEFAULTS })
    expect(inputs.controllers.map((c) => c.name)).toEqual(['current', ...config.candidates.map((c) => c.name)])
    expect(inputs.controllers.find((c) => c.name === decided?.decision.candidate)?.patch).toEqual(job.document.parameters)
    expect(inputs.simulation).toMatchObject({ engine: 'rotor-model', durationS: 600, dtS: 0.01, outputDtS: 0.05 })
    expect(inputs.decisionRule).toEqual({ maxPowerLossFraction: 0.05 })
    expect(inputs.detector).toMatchObject({ overspeedEpisodesPerWindow: 2, minSamples: 60 })
    expect(inputs.model).toEqual({
      modelVersion: MODEL_VERSION,
      calibration: { id: DEFAULT_CALIBRATION.id, version: DEFAULT_CALIBRATION.version },
    })
    const ids = (record!.results as { simulationIds: Record<string, Record<string, string>> }).simulationIds
    for (const c of inputs.controllers) expect(Object.keys(ids[c.name] ?? {}).sort()).toEqual(['1', '2', '3'])

    // The canary succeeds: the next tick — here in a new loop, as after a restart or a Lambda cold start, since the
    // pending stage lives in the decision log — rolls the same parameters out to the group, once.
    jobs.status = 'SUCCEEDED'
    await newLoop().tick(new Date(end.getTime() + 60_000))
    await loop.tick(new Date(end.getTime() + 120_000))
    expect(jobs.created).toHaveLength(2)
    expect(jobs.created[1]?.targets).toEqual(['turbine-2'])
    expect(jobs.created[1]?.document.parameters).toEqual(job.document.parameters)
    // And the twin now believes the update is in force on the canary.
    const inForce = await loop.parametersInForce('turbine-1')
    expect(inForce.version).toBe(1)
    expect(inForce.parameters.ratedGeneratorSpeedRpm).toBe(
      job.document.parameters.ratedGeneratorSpeedRpm ?? CONTROLLER_PARAMETER_DEFAULTS.ratedGeneratorSpeedRpm,
    )
  })

  it('abandons the group stage when the canary fails, and records why', async () => {
    const { loop, jobs, notifier, provenance } = setup(
      { 'turbine-1': telemetry(0.15, 11, start), 'turbine-2': telemetry(0.05, 12, start) },
      { rollout: { group: ['turbine-2'] } },
    )
    await loop.tick(end)
    jobs.status = 'FAILED'
    await loop.tick(new Date(end.getTime() + 60_000))
    await loop.tick(new Date(end.getTime() + 120_000))
    expect(jobs.created).toHaveLength(1)
    const [latest] = await provenance.list({ deviceId: 'turbine-1' })
    expect(latest?.decision.action).toBe('none')
    expect(latest?.decision.reason).toMatch(/ended FAILED; the group rollout to turbine-2 is abandoned/)
    expect(notifier.sent.at(-1)?.kind).toBe('failure')
  })

  it('sends no job when no candidate is good enough, and the notification says so', async () => {
    const { loop, jobs, notifier, provenance } = setup(
      { 'turbine-1': telemetry(0.15, 11, start) },
      { candidates: [{ name: 'pitch-gains-x1.1', scale: { pitchProportionalGainS: 1.1, pitchIntegralGain: 1.1 } }] },
    )
    const [outcome] = await loop.tick(end)
    expect(outcome?.decision?.decision.action).toBe('none')
    expect(jobs.created).toEqual([])
    const last = notifier.sent.at(-1)!
    expect(last.kind).toBe('no-action')
    expect(last.message).toMatch(/no candidate removes the over-speed exceedances/)
    expect((await provenance.list())[0]?.jobId).toBeNull()
  })

  it('does not investigate the same turbine again during its cooldown', async () => {
    const { loop, jobs } = setup({ 'turbine-1': telemetry(0.15, 11, start) }, { candidates: [] })
    await loop.tick(end)
    await loop.tick(new Date(end.getTime() + 1000))
    expect(jobs.created).toEqual([])
    const outcomes = await loop.tick(new Date(end.getTime() + 2000))
    expect(outcomes[0]?.decision).toBeUndefined()
  })

  it('keeps the cooldown across a new loop on the same decision log (a Lambda cold start)', async () => {
    const shifted = new Date(start.getTime() + 29 * 60_000)
    const { loop, newLoop, provenance } = setup(
      // Anomalous telemetry in both windows, so only the cooldown can keep the second tick from investigating.
      { 'turbine-1': [...telemetry(0.15, 11, start), ...telemetry(0.15, 11, shifted)] },
      { candidates: [], detector: { cooldownMinutes: 30 } },
    )
    const [first] = await loop.tick(end)
    expect(first?.decision).toBeDefined()
    const [during] = await newLoop().tick(new Date(end.getTime() + 29 * 60_000))
    expect(during?.decision).toBeUndefined()
    expect(await provenance.list({ deviceId: 'turbine-1' })).toHaveLength(1)
  })

  it('investigates again once the cooldown recorded in the decision log has passed', async () => {
    const later = new Date(start.getTime() + 3_600_000)
    const { newLoop, provenance } = setup(
      { 'turbine-1': [...telemetry(0.15, 11, start), ...telemetry(0.15, 11, later)] },
      { candidates: [], detector: { cooldownMinutes: 30 } },
    )
    await newLoop().tick(end)
    const [again] = await newLoop().tick(new Date(later.getTime() + 600_000))
    expect(again?.decision).toBeDefined()
    expect((await provenance.list({ deviceId: 'turbine-1' })).map((r) => r.createdAt)).toEqual([
      new Date(later.getTime() + 600_000).toISOString(),
      end.toISOString(),
    ])
  })

  it('records a canary the turbine rolled back, with the reason the agent gave, and does not propose that candidate to it again', async () => {
    const later = new Date(start.getTime() + 3_600_000)
    const { loop, jobs, notifier, provenance } = setup(
      { 'turbine-1': [...telemetry(0.15, 11, start), ...telemetry(0.15, 11, later)] },
      { detector: { overspeedEpisodesPerWindow: 2, cooldownMinutes: 30 } },
    )
    const [first] = await loop.tick(end)
    const chosen = first?.decision?.decision.candidate
    expect(chosen).toBeTruthy()
    jobs.status = 'FAILED'
    jobs.statusDetails = { reasonCode: 'ALARMS_WORSE', reason: 'alarmed samples rose from 2.0 % to 9.0 %', rolledBackTo: '3' }
    await loop.tick(new Date(end.getTime() + 60_000))
    const [noted] = await provenance.list({ deviceId: 'turbine-1' })
    expect(noted?.outcome).toEqual({
      decisionId: first?.decision?.id,
      jobId: first?.decision?.jobId,
      candidate: chosen,
      status: 'FAILED',
      reasonCode: 'ALARMS_WORSE',
      reason: 'alarmed samples rose from 2.0 % to 9.0 %',
    })
    expect(noted?.decision.reason).toMatch(
      /ended FAILED on turbine-1, rolled back to controller version 3: ALARMS_WORSE: alarmed samples rose/,
    )
    expect(notifier.sent.at(-1)?.kind).toBe('failure')
    // Noted once: later ticks do not add another outcome for the same job.
    await loop.tick(new Date(end.getTime() + 120_000))
    expect((await provenance.list({ deviceId: 'turbine-1' })).filter((r) => r.outcome)).toHaveLength(1)

    const [again] = await loop.tick(new Date(later.getTime() + 600_000))
    const second = again?.decision
    if (!second) throw new Error('the turbine was not investigated again after the cooldown')
    expect(second.inputs?.controllers.map((c) => c.name)).not.toContain(chosen)
    const setAside = (second.results as { rejectedCandidates: Array<{ name: string; reason: string }> }).rejectedCandidates
    expect(setAside.find((r) => r.name === chosen)?.reason).toMatch(/rolled back .*ALARMS_WORSE/)
    expect(second.decision.candidate).not.toBe(chosen)
  })

  it('does not propose a second change while the first is still in flight on the turbine', async () => {
    const later = new Date(start.getTime() + 3_600_000)
    const { loop, jobs } = setup(
      { 'turbine-1': [...telemetry(0.15, 11, start), ...telemetry(0.15, 11, later)] },
      { detector: { overspeedEpisodesPerWindow: 2, cooldownMinutes: 30 } },
    )
    const [first] = await loop.tick(end)
    expect(first?.decision?.decision.action).toBe('update')
    // Past the cooldown, still anomalous, but the canary is still being applied and judged on the turbine.
    jobs.status = 'IN_PROGRESS'
    const [during] = await loop.tick(new Date(later.getTime() + 600_000))
    expect(during?.decision).toBeUndefined()
    expect(jobs.created).toHaveLength(1)
    // A job the service no longer knows does not hold the turbine.
    jobs.status = 'UNKNOWN'
    const [after] = await loop.tick(new Date(later.getTime() + 660_000))
    expect(after?.decision).toBeDefined()
  })
})
