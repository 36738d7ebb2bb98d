/** What the turbine's telemetry said over a window. */
export interface AlarmTally {
  readonly samples: number
  /** Samples carrying at least one alarm. */
  readonly alarmed: number
  /** Controller faults seen (a `controller-fault` alarm or event). */
  readonly faults: number
}

export interface HealthGateRules {
  readonly minSamples: number
  /** Allowed increase of the alarmed-sample fraction over the baseline. */
  readonly alarmRateTolerance: number
}

export type HealthVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: 'CONTROLLER_FAULT' | 'NO_TELEMETRY' | 'ALARMS_WORSE'; readonly reason: string }

const rate = (t: { samples: number; alarmed: number }) => (t.samples === 0 ? 0 : t.alarmed / t.samples)

/**
 * The health gate's decision, pure: a controller fault, too little telemetry to judge, or a higher share of
 * alarmed samples than before the update all fail the gate (and the caller rolls back).
 */
export function judgeHealth(baseline: { samples: number; alarmed: number }, window: AlarmTally, rules: HealthGateRules): HealthVerdict {
  if (window.faults > 0)
    return { ok: false, code: 'CONTROLLER_FAULT', reason: `controller fault reported ${window.faults} time(s) after the update` }
  if (window.samples < rules.minSamples) {
    return {
      ok: false,
      code: 'NO_TELEMETRY',
      reason: `only ${window.samples} sample(s) in the health-gate window, ${rules.minSamples} needed`,
    }
  }
  const before = rate(baseline)
  const after = rate(window)
  if (after > before + rules.alarmRateTolerance) {
    return {
      ok: false,
      code: 'ALARMS_WORSE',
      reason: `alarmed samples rose from ${(before * 100).toFixed(1)} % (${baseline.alarmed}/${baseline.samples}) to ${(after * 100).toFixed(1)} % (${window.alarmed}/${window.samples})`,
    }
  }
  return { ok: true }
}
