import { createHash } from 'node:crypto'
/** Everything that led to one decision, so an engineer can audit and reproduce it. */
export interface DecisionRecord {
  readonly id: string
  readonly createdAt: string
  readonly deviceId: string
  /** Measured conditions: window, mean wind, turbulence intensity, alarm counts. */
  readonly conditions: Record<string, unknown>
  /** SHA-256 of the canonical JSON of the inputs (conditions, parameters in force, candidates, seeds). */
  readonly inputsHash: string
  readonly engine: string
  readonly engineVersion: string
  readonly seeds: readonly number[]
  /** Per controller: simulation ids and post-processed metrics. */
  readonly results: unknown
  readonly decision: {
    action: 'update' | 'none'
    candidate?: string
    reason: string
    patch?: Record<string, number>
    /** Version of the job document sent (or that would have been sent). */
    documentVersion?: number
  }
  readonly jobId: string | null
}

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

/** Decisions taken by investigating an anomaly on the turbine itself (not a group rollout that followed a canary). */
export function isInvestigation(record: DecisionRecord): boolean {
  return record.conditions['canaryJobId'] === undefined
}
