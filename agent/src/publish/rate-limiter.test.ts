import { describe, expect, it } from 'vitest'
import { RateLimiter } from './rate-limiter.js'

describe('RateLimiter', () => {
  it('allows at most perSecond publishes per second', () => {
    let now = 0
    const r = new RateLimiter(100, () => now)
    let taken = 0
    for (let i = 0; i < 1000; i++) if (r.tryTake()) taken++
    expect(taken).toBe(100)
    expect(r.waitMs()).toBe(10)
    now += 10
    expect(r.tryTake()).toBe(true)
    expect(r.tryTake()).toBe(false)
    now += 1000
    taken = 0
    for (let i = 0; i < 1000; i++) if (r.tryTake()) taken++
    expect(taken).toBe(100)
  })
})
