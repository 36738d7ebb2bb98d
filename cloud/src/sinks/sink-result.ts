/** An entry a service refused for good (validation), after retries of everything retryable. */
export interface RejectedEntry {
  /** Index in the input array the sink was given. */
  readonly index: number
  readonly code: string
  readonly message: string
}

/** What a sink reports for one write: rejected entries are permanent and counted; retryable failures throw. */
export interface SinkWriteResult {
  readonly written: number
  readonly rejected: readonly RejectedEntry[]
}

export const NOTHING_REJECTED: readonly RejectedEntry[] = Object.freeze([])
