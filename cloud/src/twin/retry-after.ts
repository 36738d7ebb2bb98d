import { backoffDelayMs } from '../sinks/retry.js'

/**
 * The wait a `Retry-After` header asks for, in ms: delay-seconds or an HTTP-date (RFC 9110 §10.2.3). `undefined`
 * when absent or unreadable; a date in the past is 0.
 */
export function retryAfterMs(header: string | null | undefined, nowMs: number): number | undefined {
  if (header === null || header === undefined) return undefined
  const value = header.trim()
  if (/^\d+$/.test(value)) return Number(value) * 1000
  // An HTTP-date names its day and month (IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`); Date.parse alone would
  // also take '-3' as a year.
  const at = /^[A-Za-z]{3},? /.test(value) ? Date.parse(value) : Number.NaN
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined
}

/** Statuses that say "not now" rather than "no": the request was not carried out and may be sent again. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 503
}

export interface ThrottleRetryPolicy {
  readonly baseDelayMs: number
  readonly maxDelayMs: number
  readonly random?: () => number
}

/**
 * How long to wait before retry number `attempt` (0 for the first) of a throttled request: what the server's
 * `Retry-After` says when it says anything (never sooner: it knows its window), otherwise a capped exponential
 * backoff with full jitter.
 */
export function throttleDelayMs(attempt: number, retryAfter: number | undefined, policy: ThrottleRetryPolicy): number {
  if (retryAfter !== undefined) return retryAfter
  return backoffDelayMs(attempt, {
    baseDelayMs: policy.baseDelayMs,
    maxDelayMs: policy.maxDelayMs,
    ...(policy.random ? { random: policy.random } : {}),
  })
}
