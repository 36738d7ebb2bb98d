import { RECORD_SCHEMAS, type ResidencyPolicy, recordValidators, STREAMS, type StreamName } from '@edgetwin/shared-schemas'
import { GatewayError } from './errors.js'

export type ResidencyDecision =
  | { readonly allowed: true; readonly record: Record<string, unknown>; readonly removedFields: number }
  | { readonly allowed: false; readonly reason: 'stream-not-allowed' | 'invalid-record' | 'invalid-after-projection' }

interface CompiledRule {
  readonly topLevel: ReadonlySet<string>
  /** Keys of a nested object that may pass (`data.alarm` → data: {alarm}); absent when the whole object passes. */
  readonly nested: ReadonlyMap<string, ReadonlySet<string>>
}

export interface ResidencyCounters {
  readonly allowed: number
  readonly denied: number
  readonly fieldsRemoved: number
}

function requiredFields(stream: StreamName): string[] {
  return [...((RECORD_SCHEMAS[stream] as { required?: string[] }).required ?? [])]
}

/**
 * The data-residency gate: the single place that decides what may leave the site. A stream that is not on the
 * allow-list is refused; an allowed record keeps only the listed fields. Built once from the policy; a policy
 * that removes a field the stream's schema requires is a configuration error, reported at start.
 */
export class ResidencyGate {
  readonly #rules = new Map<StreamName, CompiledRule>()
  #allowed = 0
  #denied = 0
  #fieldsRemoved = 0

  constructor(policy: ResidencyPolicy) {
    for (const rule of policy.allow) {
      if (this.#rules.has(rule.stream)) {
        throw new GatewayError('AGENT_GATEWAY_CONFIG', `residency policy lists stream '${rule.stream}' twice; list each stream once`)
      }
      const topLevel = new Set<string>()
      const nested = new Map<string, Set<string>>()
      for (const field of rule.fields) {
        const [head, key] = field.split('.', 2) as [string, string | undefined]
        if (key === undefined) topLevel.add(head)
        else nested.set(head, (nested.get(head) ?? new Set()).add(key))
      }
      const props = Object.keys((RECORD_SCHEMAS[rule.stream] as { properties: Record<string, unknown> }).properties)
      for (const name of [...topLevel, ...nested.keys()]) {
        if (!props.includes(name)) {
          throw new GatewayError(
            'AGENT_GATEWAY_CONFIG',
            `residency policy for '${rule.stream}' names field '${name}', which ${rule.stream} records do not have (they have: ${props.join(', ')})`,
          )
        }
      }
      const missing = requiredFields(rule.stream).filter((f) => !topLevel.has(f))
      if (missing.length > 0) {
        throw new GatewayError(
          'AGENT_GATEWAY_CONFIG',
          `residency policy for '${rule.stream}' must allow the required field(s) ${missing.join(', ')}; otherwise no record of it could be sent`,
        )
      }
      for (const name of nested.keys()) topLevel.delete(name)
      this.#rules.set(rule.stream, { topLevel, nested })
    }
  }

  /** The streams that may leave the site. */
  get allowedStreams(): StreamName[] {
    return STREAMS.filter((s) => this.#rules.has(s))
  }

  /** Decides one record: refused, or the projection of it onto the allowed fields. Never mutates `record`. */
  apply(stream: StreamName, record: unknown): ResidencyDecision {
    const rule = this.#rules.get(stream)
    if (!rule) return this.#deny('stream-not-allowed')
    if (!recordValidators[stream].check(record)) return this.#deny('invalid-record')
    const source = record as Record<string, unknown>
    const out: Record<string, unknown> = {}
    let removed = 0
    for (const [name, value] of Object.entries(source)) {
      if (rule.topLevel.has(name)) {
        out[name] = value
        continue
      }
      const keys = rule.nested.get(name)
      if (keys && value !== null && typeof value === 'object' && !Array.isArray(value)) {
        const inner: Record<string, unknown> = {}
        for (const [k, v] of Object.entries(value)) {
          if (keys.has(k)) inner[k] = v
          else removed++
        }
        if (Object.keys(inner).length > 0) out[name] = inner
        continue
      }
      removed++
    }
    // Defence in depth: what leaves must still be a valid record of its stream.
    if (!recordValidators[stream].check(out)) return this.#deny('invalid-after-projection')
    this.#allowed++
    this.#fieldsRemoved += removed
    return { allowed: true, record: out, removedFields: removed }
  }

  counters(): ResidencyCounters {
    return { allowed: this.#allowed, denied: this.#denied, fieldsRemoved: this.#fieldsRemoved }
  }

  #deny(reason: 'stream-not-allowed' | 'invalid-record' | 'invalid-after-projection'): ResidencyDecision {
    this.#denied++
    return { allowed: false, reason }
  }
}
