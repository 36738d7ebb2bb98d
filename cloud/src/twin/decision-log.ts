import { createHash } from 'node:crypto'
import type { TwinDecisionRecord } from '@edgetwin/shared-schemas'

/**
 * Everything that led to one decision, so an engineer can audit and replay it: the schema is shared-schemas'
 * `TwinDecisionRecord` (the inputs themselves in `inputs`, simulation ids by controller and seed in `results`).
 */
export type DecisionRecord = TwinDecisionRecord

/** Canonical JSON: keys sorted at every level, so that equal inputs hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  )
}

export function hashInputs(inputs: unknown): string {
  return createHash('sha256').update(canonicalJson(inputs)).digest('hex')
}

export interface DecisionLogListOptions {
  /** Only this turbine's decisions. */
  readonly deviceId?: string
  /** @default 100 */
  readonly limit?: number
}

/**
 * The twin's append-only record of decisions with their provenance (the port). SQLite locally
 * (`ProvenanceStore`); one S3 object per decision on Lambda (`createObjectDecisionLog`), where nothing local
 * survives the execution environment. Adapters may answer synchronously; callers always `await`.
 */
export interface DecisionLog {
  append(record: DecisionRecord): Promise<void> | void
  /** Newest first (by `createdAt`). */
  list(options?: DecisionLogListOptions): Promise<DecisionRecord[]> | DecisionRecord[]
}

/**
 * Decisions taken by investigating an anomaly on the turbine itself: not a group rollout that followed a canary,
 * not the note of how a job ended.
 */
export function isInvestigation(record: DecisionRecord): boolean {
  return record.conditions['canaryJobId'] === undefined && record.outcome === undefined
}
