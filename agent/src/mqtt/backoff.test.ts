import { describe, expect, it } from 'vitest'
import { backoffDelayMs, ReconnectSchedule } from './backoff.js'

const opts = { initialDelayMs: 1000, maxDelayMs: 60_000 }

describe('backoffDelayMs', () => {
  it('doubles the ceiling per attempt up to the cap', () => {
    const top = () => 0.999999
    expect([0, 1, 2, 3, 6, 7, 20].map((a) => backoffDelayMs(a, opts, top))).toEqual([999, 1999, 3999, 7999, 59_999, 59_999, 59_999])
  })
  it('draws uniformly below the ceiling (full jitter)', () => {
    expect(backoffDelayMs(3, opts, () => 0)).toBe(0)
    expect(backoffDelayMs(3, opts, () => 0.5)).toBe(4000)
  })
})

describe('ReconnectSchedule', () => {
  it('keeps growing across short-lived connections and resets only after a stable period', () => {
    let now = 0
    const s = new ReconnectSchedule(
      { ...opts, stableAfterMs: 30_000 },
      () => now,
      () => 0.999999,
    )
    expect(s.nextDelayMs()).toBe(999)
    expect(s.nextDelayMs()).toBe(1999)
    s.connected()
    now += 5_000 // dropped after 5 s: not stable
    expect(s.nextDelayMs()).toBe(3999)
    s.connected()
    now += 30_000
    expect(s.nextDelayMs()).toBe(999)
  })
})
