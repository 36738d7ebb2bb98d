import type { ControllerParameterName, ControllerParameterPatch, ControllerParameters, ParameterEnvelope } from '@edgetwin/shared-schemas'

/** A candidate controller change, relative to the parameters in force (`scale`) or absolute (`set`). */
export interface CandidateSpec {
  readonly name: string
  readonly scale?: Partial<Record<ControllerParameterName, number>>
  readonly set?: ControllerParameterPatch
}

/** The agent's safety envelope (`AgentJobsConfig.envelope` and `maxChangeFraction`): the twin proposes nothing the agent would refuse. */
export interface EnvelopeLimits {
  readonly envelope: Readonly<Record<string, ParameterEnvelope>>
  /** Applies to parameters whose entry has neither `maxChangeFraction` nor `maxChangeAbs`. */
  readonly maxChangeFraction: number
}

export interface Candidate {
  readonly name: string
  readonly patch: ControllerParameterPatch
}

export interface RejectedCandidate {
  readonly name: string
  readonly reason: string
}

/** Resolves candidate specs against the parameters in force; those outside the envelope are set aside with a reason. */
export function buildCandidates(
  current: ControllerParameters,
  specs: readonly CandidateSpec[],
  limits: EnvelopeLimits,
): { candidates: Candidate[]; rejected: RejectedCandidate[] } {
  const candidates: Candidate[] = []
  const rejected: RejectedCandidate[] = []
  for (const spec of specs) {
    const patch: Record<string, number> = { ...(spec.set ?? {}) }
    for (const [name, factor] of Object.entries(spec.scale ?? {}) as [ControllerParameterName, number][]) {
      patch[name] = current[name] * factor
    }
    const problems: string[] = []
    for (const [name, value] of Object.entries(patch) as [ControllerParameterName, number][]) {
      problems.push(...envelopeProblems(name, value, current[name], limits))
    }
    if (Object.keys(patch).length === 0) problems.push('changes nothing')
    if (problems.length > 0) rejected.push({ name: spec.name, reason: problems.join('; ') })
    else candidates.push({ name: spec.name, patch: patch as ControllerParameterPatch })
  }
  return { candidates, rejected }
}

/** Why the agent's envelope would refuse `name = value` when `current` is in force; empty when it would accept it. */
export function envelopeProblems(name: string, value: number, current: number, limits: EnvelopeLimits): string[] {
  const entry = limits.envelope[name]
  if (!Number.isFinite(value)) return [`${name} is not finite`]
  if (!entry) return [`${name} has no bounds in the safety envelope, so the agent would refuse it`]
  const problems: string[] = []
  if (value < entry.min || value > entry.max) problems.push(`${name} ${value} outside [${entry.min}, ${entry.max}]`)
  const step = Math.abs(value - current)
  const fraction = entry.maxChangeFraction ?? (entry.maxChangeAbs === undefined ? limits.maxChangeFraction : undefined)
  if (fraction !== undefined && current !== 0 && step / Math.abs(current) > fraction + 1e-12) {
    problems.push(`${name} changes by ${((step / Math.abs(current)) * 100).toFixed(1)} % (maximum ${(fraction * 100).toFixed(1)} %)`)
  }
  if (entry.maxChangeAbs !== undefined && step > entry.maxChangeAbs + 1e-12) {
    problems.push(`${name} changes by ${step} (maximum ${entry.maxChangeAbs})`)
  }
  return problems
}
