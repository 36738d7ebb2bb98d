import { type TwinDecisionRecord, validators } from '@edgetwin/shared-schemas'
import { CloudError } from '../errors.js'
import type { Aggregate, SimulationMetrics } from './decide.js'
import { hashInputs } from './decision-log.js'
import { simulateAndDecide } from './investigation.js'
import type { SimulationRunner } from './ports.js'

/** One controller's figures, as recorded and as replayed. */
export interface ReplayedController {
  readonly name: string
  readonly recorded: Aggregate | undefined
  readonly replayed: Aggregate
}

export interface ReplayReport {
  readonly decisionId: string
  /** The replay took the same action on the same candidate with the same figures. */
  readonly same: boolean
  /** The stored inputs still hash to the record's `inputsHash`. */
  readonly inputsIntact: boolean
  readonly recorded: { action: string; candidate?: string; reason: string; engineVersion: string }
  readonly replayed: { action: string; candidate?: string; reason: string; engineVersion: string }
  readonly controllers: readonly ReplayedController[]
  /** Every way the replay differs, in words; empty when `same`. */
  readonly differences: readonly string[]
}

const FIGURES = ['seedsFinished', 'overspeedExceedances', 'maxRotorSpeedRpm', 'meanPowerKw', 'thrustStdKn', 'torqueLimitEpisodes'] as const

/** Relative agreement of two figures: the same simulation on the same engine version gives the same `.out` text. */
function sameFigure(a: number, b: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b))
}

/**
 * Re-runs a recorded decision from the inputs it stored: the same controllers, seeds, simulation settings,
 * post-processing thresholds and rule, through `runner` (the dispatch server, or the model in process), and
 * compares the outcome and every controller's figures with what was recorded.
 */
export async function replayDecision(record: unknown, runner: SimulationRunner): Promise<ReplayReport> {
  const r: TwinDecisionRecord = validators.TwinDecisionRecord.parse(record)
  if (!r.inputs) {
    throw new CloudError(
      'CLOUD_DECISION_NOT_REPLAYABLE',
      `decision ${r.id} holds no inputs (${r.outcome ? 'it notes how a job ended' : r.conditions['canaryJobId'] ? 'it is a group rollout stage; replay its canary decision' : 'it was recorded before the inputs were kept'}), so it cannot be replayed`,
    )
  }
  const inputsIntact = hashInputs(r.inputs) === r.inputsHash
  const run = await simulateAndDecide(r.inputs, runner, { label: `replay of ${r.id}` })
  const recordedAggregates = ((r.results as { aggregates?: Aggregate[] } | null)?.aggregates ?? []) as Aggregate[]
  const recordedMetrics = (r.results as { metrics?: Record<string, SimulationMetrics[]> } | null)?.metrics
  const differences: string[] = []
  if (!inputsIntact) differences.push(`the stored inputs no longer hash to ${r.inputsHash}: the record was altered`)
  const d = run.decision
  const replayedCandidate = d.action === 'update' ? d.candidate : undefined
  if (d.action !== r.decision.action) differences.push(`action: recorded ${r.decision.action}, replayed ${d.action}`)
  if (replayedCandidate !== r.decision.candidate) {
    differences.push(`candidate: recorded ${r.decision.candidate ?? '(none)'}, replayed ${replayedCandidate ?? '(none)'}`)
  }
  const controllers = d.aggregates.map((replayed) => {
    const recorded = recordedAggregates.find((a) => a.name === replayed.name)
    if (!recorded) differences.push(`${replayed.name}: no figures recorded`)
    else {
      for (const f of FIGURES) {
        const was = recorded[f]
        // Records written before seeds were counted lack `seedsFinished`.
        if (was === undefined) continue
        if (!sameFigure(was, replayed[f])) differences.push(`${replayed.name} ${f}: recorded ${was}, replayed ${replayed[f]}`)
      }
    }
    return { name: replayed.name, recorded, replayed }
  })
  if (recordedMetrics) {
    for (const c of run.results) {
      for (const m of c.runs) {
        const was = recordedMetrics[c.name]?.find((x) => x.seed === m.seed)
        if (was && !sameFigure(was.meanPowerKw, m.meanPowerKw)) {
          differences.push(`${c.name} seed ${m.seed} mean power: recorded ${was.meanPowerKw} kW, replayed ${m.meanPowerKw} kW`)
        }
      }
    }
  }
  const engineVersion = run.engineVersions.join(', ') || 'unknown'
  if (engineVersion !== r.engineVersion) differences.push(`engine version: recorded ${r.engineVersion}, replayed ${engineVersion}`)
  return {
    decisionId: r.id,
    same: differences.length === 0,
    inputsIntact,
    recorded: {
      action: r.decision.action,
      ...(r.decision.candidate ? { candidate: r.decision.candidate } : {}),
      reason: r.decision.reason,
      engineVersion: r.engineVersion,
    },
    replayed: { action: d.action, ...(replayedCandidate ? { candidate: replayedCandidate } : {}), reason: d.reason, engineVersion },
    controllers,
    differences,
  }
}
