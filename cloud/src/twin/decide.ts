import type { ControllerParameterPatch } from '@edgetwin/shared-schemas'

/** Post-processed result of one simulation (one controller, one seed). */
export interface SimulationMetrics {
  readonly seed: number
  readonly overspeedExceedances: number
  readonly maxRotorSpeedRpm: number
  readonly meanPowerKw: number
  /** Load indicator: standard deviation of the rotor thrust (kN). */
  readonly thrustStdKn: number
  /** Episodes with the generator torque held at its limit (the `torque-limit` alarm). */
  readonly torqueLimitEpisodes: number
}

export interface ControllerResults {
  /** `current` for the controller in force, or the candidate's name. */
  readonly name: string
  readonly patch: ControllerParameterPatch | null
  readonly runs: readonly SimulationMetrics[]
}

export interface Aggregate {
  readonly name: string
  /** Seeds whose simulation finished and was post-processed, of `seedsExpected`. */
  readonly seedsFinished: number
  readonly seedsExpected: number
  readonly overspeedExceedances: number
  readonly maxRotorSpeedRpm: number
  readonly meanPowerKw: number
  readonly thrustStdKn: number
  readonly torqueLimitEpisodes: number
}

export interface DecisionRule {
  /** A candidate may cost at most this fraction of the current controller's mean power. */
  readonly maxPowerLossFraction: number
}

export type Decision =
  | {
      readonly action: 'update'
      readonly candidate: string
      readonly patch: ControllerParameterPatch
      readonly reason: string
      readonly aggregates: Aggregate[]
    }
  | { readonly action: 'none'; readonly reason: string; readonly aggregates: Aggregate[] }
  /** Not decided: some controller lacks a seed's simulation. The next tick investigates again. */
  | { readonly action: 'defer'; readonly reason: string; readonly aggregates: Aggregate[] }

export function aggregateResults(results: ControllerResults, seedsExpected: number): Aggregate {
  const n = results.runs.length
  const mean = (f: (m: SimulationMetrics) => number) => (n === 0 ? Number.NaN : results.runs.reduce((a, m) => a + f(m), 0) / n)
  return {
    name: results.name,
    seedsFinished: new Set(results.runs.map((r) => r.seed)).size,
    seedsExpected,
    overspeedExceedances: results.runs.reduce((a, m) => a + m.overspeedExceedances, 0),
    maxRotorSpeedRpm: Math.max(...results.runs.map((m) => m.maxRotorSpeedRpm)),
    meanPowerKw: mean((m) => m.meanPowerKw),
    thrustStdKn: mean((m) => m.thrustStdKn),
    torqueLimitEpisodes: results.runs.reduce((a, m) => a + m.torqueLimitEpisodes, 0),
  }
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`

/** `pitch-x1.25 1/3 (seeds 2, 3 missing)` for every controller that lacks a seed; empty when all are complete. */
function missingSeeds(all: readonly ControllerResults[], seeds: readonly number[]): string[] {
  const out: string[] = []
  for (const c of all) {
    const finished = new Set(c.runs.map((r) => r.seed))
    const missing = seeds.filter((s) => !finished.has(s))
    if (missing.length > 0)
      out.push(
        `${c.name} ${seeds.length - missing.length}/${seeds.length} (seed${missing.length > 1 ? 's' : ''} ${missing.join(', ')} missing)`,
      )
  }
  return out
}

/**
 * The decision rule. First, every controller must have a finished simulation for every seed: otherwise the
 * decision is deferred (a candidate judged on 1 seed of 3 is not judged). Then, among the candidates whose
 * simulations show no over-speed exceedance and no more torque-limit episodes than the controller in force (a
 * change must not trade one alarm for another: the agent's health gate would roll it back), choose the one with
 * the highest mean power, provided it loses at most `maxPowerLossFraction` of the current controller's power;
 * otherwise no update. Pure; the reason says why in words an operator reads.
 */
export function decideControllerUpdate(
  current: ControllerResults,
  candidates: readonly ControllerResults[],
  rule: DecisionRule,
  seeds: readonly number[],
): Decision {
  const base = aggregateResults(current, seeds.length)
  const all = [base, ...candidates.map((c) => aggregateResults(c, seeds.length))]
  const incomplete = missingSeeds([current, ...candidates], seeds)
  if (incomplete.length > 0) {
    return {
      action: 'defer',
      reason: `deferred: not every simulation finished, so no controller is judged on fewer seeds than the others: ${incomplete.join('; ')}`,
      aggregates: all,
    }
  }
  if (base.overspeedExceedances === 0) {
    return {
      action: 'none',
      reason:
        'the simulations of the current controller under the measured conditions show no over-speed exceedance; no change is justified',
      aggregates: all,
    }
  }
  const scored = candidates
    .filter((c) => c.patch !== null)
    .map((c) => {
      const a = aggregateResults(c, seeds.length)
      return { c, a, loss: base.meanPowerKw > 0 ? 1 - a.meanPowerKw / base.meanPowerKw : 0 }
    })
  const removing = scored.filter((s) => s.a.overspeedExceedances === 0)
  const clean = removing.filter((s) => s.a.torqueLimitEpisodes <= base.torqueLimitEpisodes)
  if (clean.length === 0) {
    if (removing.length > 0) {
      const names = removing.map((s) => `${s.a.name} (${s.a.torqueLimitEpisodes})`).join(', ')
      return {
        action: 'none',
        reason: `the candidates that remove the over-speed exceedances raise more torque-limit alarms than the controller in force (${base.torqueLimitEpisodes}): ${names}`,
        aggregates: all,
      }
    }
    const best = [...scored].sort((x, y) => x.a.overspeedExceedances - y.a.overspeedExceedances)[0]
    return {
      action: 'none',
      reason: best
        ? `no candidate removes the over-speed exceedances: the best, ${best.a.name}, still has ${best.a.overspeedExceedances} (current ${base.overspeedExceedances})`
        : 'no candidate to simulate',
      aggregates: all,
    }
  }
  const affordable = clean.filter((s) => s.loss <= rule.maxPowerLossFraction)
  if (affordable.length === 0) {
    const cheapest = [...clean].sort((x, y) => x.loss - y.loss)[0]!
    return {
      action: 'none',
      reason: `candidates remove the exceedances but cost too much power: the cheapest, ${cheapest.a.name}, loses ${pct(cheapest.loss)} (allowed ${pct(rule.maxPowerLossFraction)})`,
      aggregates: all,
    }
  }
  const chosen = [...affordable].sort((x, y) => y.a.meanPowerKw - x.a.meanPowerKw || x.a.thrustStdKn - y.a.thrustStdKn)[0]!
  return {
    action: 'update',
    candidate: chosen.a.name,
    patch: chosen.c.patch!,
    reason:
      `${chosen.a.name} removes all ${base.overspeedExceedances} over-speed exceedances, ${seeds.length} of ${seeds.length} seeds ` +
      'finished for every controller, ' +
      `with a power change of ${pct(-chosen.loss)} (mean ${chosen.a.meanPowerKw.toFixed(0)} kW vs ${base.meanPowerKw.toFixed(0)} kW), ` +
      `the least loss among ${affordable.length} candidate(s) that remove them`,
    aggregates: all,
  }
}
