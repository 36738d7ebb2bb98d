import { describe, expect, it } from 'vitest'
import { retryAfterMs, throttleDelayMs } from './retry-after.js'

describe('Retry-After', () => {
  const now = Date.parse('2026-11-30T12:00:00Z')

  it('reads delay-seconds and HTTP-dates (RFC 9110 §10.2.3)', () => {
    expect(retryAfterMs('7', now)).toBe(7000)
    expect(retryAfterMs(' 0 ', now)).toBe(0)
    expect(retryAfterMs('Mon, 30 Nov 2026 12:00:30 GMT', now)).toBe(30_000)
    expect(retryAfterMs('Mon, 30 Nov 2026 11:59:00 GMT', now)).toBe(0)
  })

  it('ignores an absent or unreadable header', () => {
    expect(retryAfterMs(null, now)).toBeUndefined()
    expect(retryAfterMs('soon', now)).toBeUndefined()
    expect(retryAfterMs('-3', now)).toBeUndefined()
  })

  it('waits what the server asks, otherwise a jittered backoff that doubles up to its cap', () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.999 }
    expect(throttleDelayMs(5, 42_000, policy)).toBe(42_000)
    expect([0, 1, 2, 3, 4, 8].map((a) => throttleDelayMs(a, undefined, policy))).toEqual([99, 199, 399, 799, 999, 999])
    expect(throttleDelayMs(3, undefined, { ...policy, random: () => 0 })).toBe(0)
  })
})
