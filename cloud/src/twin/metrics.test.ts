import { describe, expect, it } from 'vitest'
import { torqueLimitEpisodes } from './metrics.js'

describe('torque-limit episodes from GenTq', () => {
  it('counts torque held at the limit for at least 2 s, once per episode', () => {
    const time = Float64Array.from({ length: 100 }, (_, i) => i * 0.5)
    // kN-m; the limit is 47.403 kN-m. At the limit for 1.5 s (no), 3 s (yes), then 10 s (yes, once).
    const torque = Float64Array.from(time, (t) => ((t >= 5 && t < 6.5) || (t >= 10 && t < 13) || (t >= 20 && t < 30) ? 47.403 : 43.1))
    expect(torqueLimitEpisodes(time, torque, 47402.91)).toBe(2)
  })

  it('counts nothing below the limit', () => {
    const time = Float64Array.from({ length: 100 }, (_, i) => i * 0.5)
    expect(torqueLimitEpisodes(time, new Float64Array(100).fill(47.0), 47402.91)).toBe(0)
  })
})
