/** Capped exponential backoff with full jitter ("Exponential Backoff And Jitter", AWS Architecture Blog). */
export interface BackoffPolicy {
  /** @default 50 */
  readonly baseDelayMs?: number
  /** @default 5_000 */
  readonly maxDelayMs?: number
  /** Attempts including the first. @default 8 */
  readonly maxAttempts?: number
  /** @default Math.random */
  readonly random?: () => number
  /** Injected so tests do not wait. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>
}

export const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export function backoffDelayMs(attempt: number, policy: BackoffPolicy = {}): number {
  const base = policy.baseDelayMs ?? 50
  const cap = policy.maxDelayMs ?? 5_000
  const random = policy.random ?? Math.random
  return Math.floor(random() * Math.min(cap, base * 2 ** attempt))
}

export function resolveBackoff(policy: BackoffPolicy = {}): Required<BackoffPolicy> {
  return {
    baseDelayMs: policy.baseDelayMs ?? 50,
    maxDelayMs: policy.maxDelayMs ?? 5_000,
    maxAttempts: policy.maxAttempts ?? 8,
    random: policy.random ?? Math.random,
    sleep: policy.sleep ?? defaultSleep,
  }
}

/** Splits `items` into chunks of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}
