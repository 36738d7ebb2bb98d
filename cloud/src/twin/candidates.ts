import type { ControllerParameterName, ControllerParameterPatch, ControllerParameters } from '@edgetwin/shared-schemas'

/** A candidate controller change, relative to the parameters in force (`scale`) or absolute (`set`). */
export interface CandidateSpec {
  readonly name: string
  readonly scale?: Partial<Record<ControllerParameterName, number>>
  readonly set?: ControllerParameterPatch
}

/** The agent's safety envelope, as the twin must respect it (the same bounds the agent enforces). */
export interface EnvelopeLimits {
  readonly bounds: Partial<Record<ControllerParameterName, { readonly min: number; readonly max: number }>>
  /** Largest allowed relative change of any one parameter per update (0.2 = 20 %). */
  readonly maxRelativeChange?: number
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
  envelope: EnvelopeLimits,
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
      const bound = envelope.bounds[name]
      if (!Number.isFinite(value)) problems.push(`${name} is not finite`)
      else if (!bound) problems.push(`${name} has no bounds in the safety envelope, so the agent would refuse it`)
      else if (value < bound.min || value > bound.max) problems.push(`${name} ${value} outside [${bound.min}, ${bound.max}]`)
      if (envelope.maxRelativeChange !== undefined && current[name] !== 0) {
        const change = Math.abs(value - current[name]) / Math.abs(current[name])
        if (change > envelope.maxRelativeChange + 1e-12) {
          problems.push(`${name} changes by ${(change * 100).toFixed(1)} % (maximum ${(envelope.maxRelativeChange * 100).toFixed(1)} %)`)
        }
      }
    }
    if (Object.keys(patch).length === 0) problems.push('changes nothing')
    if (problems.length > 0) rejected.push({ name: spec.name, reason: problems.join('; ') })
    else candidates.push({ name: spec.name, patch: patch as ControllerParameterPatch })
  }
  return { candidates, rejected }
}
