import { randomUUID } from 'node:crypto'
import {
  type CloudTwinConfig,
  CONTROLLER_PARAMETER_DEFAULTS,
  type ControllerParameters,
  type ControllerUpdateJobDocument,
  type TwinControllerInput,
  type TwinDecisionInputs,
  type TwinModelCalibration,
} from '@edgetwin/shared-schemas'
import { calibrationRef, MODEL_VERSION } from '@edgetwin/turbine-model'
import type { Logger } from 'pino'
import { buildCandidates, type CandidateSpec } from './candidates.js'
import { type DecisionLog, type DecisionRecord, hashInputs, isInvestigation } from './decision-log.js'
import { evaluateWindow } from './detector.js'
import { ENGINE_DEFAULT_DT_S, simulateAndDecide } from './investigation.js'
import { recordJobOutcomes, refusedCandidates } from './job-outcomes.js'
import type { Notifier } from './notifier.js'
import type { ParametersInForce, SimulationRunner, TurbineSeries, TwinJobs } from './ports.js'
import { type TurbineWindowStats, windowStatistics } from './statistics.js'

export interface TwinLoopDeps {
  readonly config: CloudTwinConfig
  readonly series: TurbineSeries
  readonly runner: SimulationRunner
  readonly jobs: TwinJobs
  readonly notifier: Notifier
  /** Where decisions are recorded; also the memory of cooldowns and parameters in force (Lambda keeps no state). */
  readonly provenance: DecisionLog
  readonly log: Logger
  /** The engine name recorded in provenance. */
  readonly engine?: string
  /** The turbine-model calibration recorded in every decision's inputs. @default turbine-model's for rotor-model, none for openfast */
  readonly calibration?: TwinModelCalibration | null
}

export interface TickOutcome {
  readonly deviceId: string
  readonly stats: TurbineWindowStats
  readonly decision?: DecisionRecord
}

const MINUTE_MS = 60_000
/** Decisions read back to find a turbine's last investigation (group-rollout records may come after it). */
const COOLDOWN_LOOKBACK = 50

/** Job ids allow `[a-zA-Z0-9_-]{1,64}`; thing names also allow `:`. */
function jobIdFor(deviceId: string, version: number, stage: 'canary' | 'group'): string {
  const safe = deviceId.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 32)
  return `twin-${safe}-v${version}-${stage}-${randomUUID().slice(0, 8)}`
}

/**
 * The digital-twin loop: each tick judges every turbine's last window; an anomalous one is simulated under its
 * measured conditions with the controller in force and with candidate changes inside the agents' envelope, a
 * decision is taken by a pure rule, and a chosen change goes out as an IoT job — the anomalous turbine first
 * (canary), its group once the canary succeeded. Every decision is recorded with its provenance.
 */
export class TwinLoop {
  private running: Promise<TickOutcome[]> | undefined

  constructor(private readonly deps: TwinLoopDeps) {}

  /** Runs one evaluation at `now` (virtual or real). Overlapping ticks wait for the one in progress. */
  tick(now: Date): Promise<TickOutcome[]> {
    const previous = this.running ?? Promise.resolve([])
    const next = previous.then(() => this.evaluate(now))
    this.running = next.catch(() => [])
    return next
  }

  private async evaluate(now: Date): Promise<TickOutcome[]> {
    const { config, series, log } = this.deps
    await recordJobOutcomes({ provenance: this.deps.provenance, jobs: this.deps.jobs, now, log, notify: (n) => this.notify(n) })
    await this.advanceRollouts(now)
    const to = now
    const from = new Date(now.getTime() - config.windowMinutes * MINUTE_MS)
    const outcomes: TickOutcome[] = []
    for (const deviceId of await series.turbines(from, to)) {
      const samples = await series.samples(deviceId, from, to)
      const stats = windowStatistics(deviceId, from.toISOString(), to.toISOString(), samples)
      const findings = evaluateWindow(stats, config.detector)
      if (findings.length === 0) {
        outcomes.push({ deviceId, stats })
        continue
      }
      if (await this.inCooldown(deviceId, now)) {
        log.debug({ deviceId }, 'anomaly during cooldown, not investigated again')
        outcomes.push({ deviceId, stats })
        continue
      }
      const inFlight = await this.updateInFlight(deviceId)
      if (inFlight) {
        log.info({ deviceId, jobId: inFlight }, 'anomaly while an update is in flight; not investigated until its job ends')
        outcomes.push({ deviceId, stats })
        continue
      }
      const message = findings.map((f) => f.message).join('; ')
      log.info({ deviceId, findings: findings.map((f) => f.kind) }, `anomaly: ${message}`)
      await this.notify({ subject: `edgetwin: anomaly on ${deviceId}`, deviceId, kind: 'anomaly', message, details: { stats } })
      const decision = await this.investigate(deviceId, stats, now)
      outcomes.push({ deviceId, stats, decision })
    }
    return outcomes
  }

  /**
   * A turbine is not investigated again until `cooldownMinutes` after its last investigation. The time comes from
   * the decision log, not from memory, so a new Lambda execution environment keeps the cooldown. A deferred
   * decision (simulations missing) does not start it: the next tick investigates again.
   */
  private async inCooldown(deviceId: string, now: Date): Promise<boolean> {
    const cooldownMs = this.deps.config.detector.cooldownMinutes * MINUTE_MS
    if (cooldownMs <= 0) return false
    const last = (await this.deps.provenance.list({ deviceId, limit: COOLDOWN_LOOKBACK })).find(
      (r) => isInvestigation(r) && r.decision.action !== 'defer',
    )
    return last !== undefined && Date.parse(last.createdAt) + cooldownMs > now.getTime()
  }

  /**
   * The job of an update sent to this turbine whose outcome is not yet recorded (the outcomes of ended jobs are
   * recorded at the start of every tick): no second change is proposed while one is queued or being applied and
   * judged. A job the service no longer knows (deleted by hand) does not hold the turbine.
   */
  private async updateInFlight(deviceId: string): Promise<string | undefined> {
    const recent = await this.deps.provenance.list({ deviceId, limit: COOLDOWN_LOOKBACK })
    const ended = new Set(recent.flatMap((r) => (r.outcome ? [r.outcome.jobId] : [])))
    const pending = recent.find((r) => r.jobId !== null && r.decision.action === 'update' && !r.outcome && !ended.has(r.jobId))?.jobId
    if (!pending) return undefined
    return (await this.deps.jobs.executionStatus(pending, deviceId)) === 'UNKNOWN' ? undefined : pending
  }

  /** What the twin believes is in force: the defaults, then every update whose execution on this turbine succeeded. */
  async parametersInForce(deviceId: string): Promise<ParametersInForce> {
    let parameters: ControllerParameters = { ...CONTROLLER_PARAMETER_DEFAULTS }
    let version = 0
    for (const record of (await this.deps.provenance.list({ deviceId, limit: 10_000 })).reverse()) {
      const documentVersion = record.decision.documentVersion ?? 0
      version = Math.max(version, documentVersion)
      if (record.jobId && record.decision.patch) {
        const status = await this.deps.jobs.executionStatus(record.jobId, deviceId)
        if (status === 'SUCCEEDED') parameters = { ...parameters, ...record.decision.patch }
      }
    }
    return { version, parameters }
  }

  /** The inputs of an investigation, as values: what the record stores and `edgetwin twin replay` re-runs. */
  private decisionInputs(stats: TurbineWindowStats, inForce: ParametersInForce, controllers: TwinControllerInput[]): TwinDecisionInputs {
    const { config } = this.deps
    const { dispatch } = config
    return {
      conditions: {
        windowStart: stats.windowStart,
        windowEnd: stats.windowEnd,
        meanWindSpeedMps: stats.windSpeedMps.mean,
        turbulenceIntensity: stats.turbulenceIntensity,
        overspeedEpisodes: stats.overspeedEpisodes,
        maxRotorSpeedRpm: stats.rotorSpeedRpm.max,
        powerRatio: stats.powerRatio,
      },
      detector: { ...config.detector },
      parametersInForce: { version: inForce.version, parameters: { ...inForce.parameters } },
      controllers,
      seeds: [...dispatch.seeds],
      simulation: {
        engine: dispatch.engine,
        windSpeedMps: Math.min(50, Math.max(0, stats.windSpeedMps.mean)),
        turbulenceIntensity: Math.min(1, Math.max(0, stats.turbulenceIntensity)),
        durationS: dispatch.durationS,
        dtS: dispatch.dtS ?? ENGINE_DEFAULT_DT_S[dispatch.engine],
        outputDtS: dispatch.outputDtS,
      },
      // Exceedances are always counted against the threshold in force, so no candidate can pass by moving the alarm.
      postProcessing: { overspeedGeneratorRpm: inForce.parameters.overspeedAlarmGeneratorSpeedRpm },
      decisionRule: { ...config.decision },
      // The rotor model's calibration in force here (turbine-model's default; a dispatch server given its own
      // calibration file names that one in the engine version it reports). OpenFAST runs the deck itself: none.
      model: {
        modelVersion: MODEL_VERSION,
        calibration:
          this.deps.calibration !== undefined ? this.deps.calibration : dispatch.engine === 'rotor-model' ? calibrationRef() : null,
      },
    }
  }

  private async investigate(deviceId: string, stats: TurbineWindowStats, now: Date): Promise<DecisionRecord> {
    const { config, log } = this.deps
    const inForce = await this.parametersInForce(deviceId)
    const refused = refusedCandidates(await this.deps.provenance.list({ deviceId, limit: 10_000 }))
    const specs = (config.candidates as CandidateSpec[]).filter((c) => !refused.has(c.name))
    const built = buildCandidates(inForce.parameters, specs, { envelope: config.envelope, maxChangeFraction: config.maxChangeFraction })
    const rejected = [...built.rejected, ...[...refused].map(([name, reason]) => ({ name, reason }))]
    for (const r of rejected) log.info({ deviceId, candidate: r.name, reason: r.reason }, 'candidate set aside, not simulated')
    const controllers: TwinControllerInput[] = [
      { name: 'current', patch: null },
      ...built.candidates.map((c) => ({ name: c.name, patch: c.patch })),
    ]
    const inputs = this.decisionInputs(stats, inForce, controllers)
    const inputsHash = hashInputs(inputs)
    log.info({ deviceId, controllers: controllers.length, seeds: inputs.seeds.length }, 'dispatching simulations')
    const run = await simulateAndDecide(inputs, this.deps.runner, { label: `twin ${deviceId}`, log: log.child({ deviceId }) })
    const { decision } = run
    const documentVersion = inForce.version + 1
    // The record's id is the job document's decisionId: the job on the turbine names the decision it came from.
    const id = randomUUID()
    let jobId: string | null = null
    if (decision.action === 'update') {
      const document: ControllerUpdateJobDocument = {
        operation: 'controller-update',
        version: documentVersion,
        parameters: decision.patch,
        reason: decision.reason.slice(0, 1024),
        decisionId: id,
      }
      jobId = jobIdFor(deviceId, documentVersion, 'canary')
      await this.deps.jobs.createJob({
        jobId,
        targets: [deviceId],
        document,
        description: `edgetwin twin: ${decision.candidate} on ${deviceId} (canary)`,
        abortFailurePercent: config.rollout.abortFailurePercent,
        abortMinExecutions: config.rollout.abortMinExecutions,
        inProgressTimeoutMinutes: config.rollout.inProgressTimeoutMinutes,
      })
    }
    // The group stage waits for the canary; it is kept in the decision log (not in memory), so a restart or a
    // new Lambda execution environment carries it on.
    const groupTargets = decision.action === 'update' ? config.rollout.group.filter((g) => g !== deviceId) : []
    const record: DecisionRecord = {
      id,
      createdAt: now.toISOString(),
      deviceId,
      conditions: inputs.conditions,
      inputsHash,
      engine: inputs.simulation.engine,
      engineVersion: run.engineVersions.join(', ') || 'unknown',
      seeds: inputs.seeds,
      inputs,
      results: {
        simulationIds: run.simulationIds,
        failures: run.failures,
        metrics: Object.fromEntries(run.results.map((r) => [r.name, r.runs])),
        resultLocations: run.resultLocations,
        aggregates: decision.aggregates,
        rejectedCandidates: rejected,
        groupTargets,
      },
      decision: {
        action: decision.action,
        reason: decision.reason,
        documentVersion,
        ...(decision.action === 'update' ? { candidate: decision.candidate, patch: decision.patch as Record<string, number> } : {}),
      },
      jobId,
    }
    await this.deps.provenance.append(record)
    log.info({ deviceId, action: decision.action, jobId, decisionId: id }, `decision: ${decision.reason}`)
    await this.notify({
      subject: `edgetwin: ${decision.action === 'update' ? 'controller update' : decision.action === 'defer' ? 'decision deferred' : 'no controller update'} for ${deviceId}`,
      deviceId,
      kind: decision.action === 'update' ? 'decision' : decision.action === 'defer' ? 'failure' : 'no-action',
      message: decision.reason,
      details: { jobId, decisionId: record.id },
    })
    return record
  }

  /**
   * Staged rollout: once a canary's execution succeeded, the rest of its group gets the same parameters. Pending
   * stages are read from the decision log: a canary record names its `groupTargets`, and a later record whose
   * `conditions.canaryJobId` is that job's id says the stage was done (or abandoned).
   */
  private async advanceRollouts(now: Date): Promise<void> {
    const recent = await this.deps.provenance.list({ limit: 500 })
    const handled = new Set(recent.map((r) => r.conditions['canaryJobId']).filter((id): id is string => typeof id === 'string'))
    const pending = recent.filter((r) => {
      const targets = (r.results as { groupTargets?: unknown } | null)?.groupTargets
      return r.jobId !== null && isInvestigation(r) && Array.isArray(targets) && targets.length > 0 && !handled.has(r.jobId)
    })
    for (const canary of pending) {
      const canaryJobId = canary.jobId as string
      const group = (canary.results as { groupTargets: string[] }).groupTargets
      const status = await this.deps.jobs.executionStatus(canaryJobId, canary.deviceId)
      if (status === 'QUEUED' || status === 'IN_PROGRESS' || status === 'UNKNOWN') continue
      const stageRecord = (deviceId: string, decision: DecisionRecord['decision'], jobId: string | null): DecisionRecord => ({
        id: randomUUID(),
        // The tick's time (virtual or real), like every other record, so the log sorts in one timeline.
        createdAt: now.toISOString(),
        deviceId,
        conditions: { canaryDeviceId: canary.deviceId, canaryJobId, canaryDecisionId: canary.id, canaryStatus: status },
        inputsHash: canary.inputsHash,
        engine: canary.engine,
        engineVersion: canary.engineVersion,
        seeds: canary.seeds,
        results: { groupRolloutOf: canary.id },
        decision,
        jobId,
      })
      if (status !== 'SUCCEEDED') {
        const reason = `the canary execution of ${canaryJobId} ended ${status}; the group rollout to ${group.join(', ')} is abandoned`
        await this.deps.provenance.append(stageRecord(canary.deviceId, { action: 'none', reason }, null))
        await this.notify({
          subject: `edgetwin: canary ${canary.deviceId} ended ${status}`,
          deviceId: canary.deviceId,
          kind: 'failure',
          message: reason,
        })
        continue
      }
      const patch = canary.decision.patch ?? {}
      // Document versions must grow on every turbine: take the highest any group member has seen, plus one.
      let version = canary.decision.documentVersion ?? 1
      for (const member of group) version = Math.max(version, (await this.parametersInForce(member)).version + 1)
      const document: ControllerUpdateJobDocument = {
        operation: 'controller-update',
        version,
        parameters: patch,
        reason: `group rollout after canary ${canary.deviceId} succeeded: ${canary.decision.reason}`.slice(0, 1024),
        decisionId: canary.id,
      }
      const jobId = jobIdFor(canary.deviceId, version, 'group')
      const { rollout } = this.deps.config
      await this.deps.jobs.createJob({
        jobId,
        targets: group,
        document,
        description: `edgetwin twin: group rollout after canary ${canaryJobId}`,
        abortFailurePercent: rollout.abortFailurePercent,
        abortMinExecutions: rollout.abortMinExecutions,
        inProgressTimeoutMinutes: rollout.inProgressTimeoutMinutes,
      })
      for (const member of group) {
        await this.deps.provenance.append(
          stageRecord(
            member,
            {
              action: 'update',
              reason: `group rollout after canary ${canary.deviceId} succeeded`,
              documentVersion: version,
              patch,
              ...(canary.decision.candidate ? { candidate: canary.decision.candidate } : {}),
            },
            jobId,
          ),
        )
      }
      this.deps.log.info({ canaryJobId, jobId, targets: group }, 'canary succeeded, rolling out to the group')
    }
  }

  private async notify(n: Parameters<Notifier['notify']>[0]): Promise<void> {
    try {
      await this.deps.notifier.notify(n)
    } catch (err) {
      // A notification that cannot be delivered must not stop the loop; it is logged with its cause.
      this.deps.log.error({ err, deviceId: n.deviceId }, 'notification failed')
    }
  }
}
