import { describe, expect, it } from 'vitest'
import { distanceM, PositionFilter } from './distance-filter.js'

const at = (lon: number, lat: number, s = 0) => ({ lon, lat, sampleTime: new Date(Date.UTC(2024, 0, 1, 0, 0, s)).toISOString() })
// One metre of latitude is 1 / 111_195 degrees on the mean-radius sphere.
const north = (m: number) => m / 111_195

describe('PositionFilter (DistanceBased)', () => {
  it('measures distance on the sphere', () => {
    expect(distanceM(at(-0.1, 51.5), at(-0.1, 51.5 + north(30)))).toBeCloseTo(30, 1)
  })
  it('keeps a move of exactly the threshold and drops one just under it (Amazon Location ignores less than 30 m)', () => {
    const a = at(-0.1, 51.5)
    const b = at(-0.1, 51.5 + north(30))
    const d = distanceM(a, b)
    const atThreshold = new PositionFilter({ distanceFilterM: d, minIntervalS: 0 })
    expect(atThreshold.decide(a).keep).toBe(true)
    expect(atThreshold.decide(b).keep).toBe(true)
    const justAbove = new PositionFilter({ distanceFilterM: d * (1 + 1e-12), minIntervalS: 0 })
    expect(justAbove.decide(a).keep).toBe(true)
    expect(justAbove.decide(b)).toEqual({ keep: false, reason: 'distance' })
  })
  it('resumes from a restored last kept position', () => {
    const f = new PositionFilter({ distanceFilterM: 30, minIntervalS: 0 })
    f.restore(at(-0.1, 51.5))
    expect(f.decide(at(-0.1, 51.5 + north(10))).keep).toBe(false)
    expect(f.decide(at(-0.1, 51.5 + north(31))).keep).toBe(true)
  })
  it('keeps the first fix, drops moves of less than 30 m, keeps larger ones', () => {
    const f = new PositionFilter({ distanceFilterM: 30, minIntervalS: 0 })
    expect(f.decide(at(-0.1, 51.5)).keep).toBe(true)
    expect(f.decide(at(-0.1, 51.5 + north(29))).keep).toBe(false)
    expect(f.decide(at(-0.1, 51.5 + north(31))).keep).toBe(true)
  })
  it('measures from the last kept position, so slow drift is eventually kept', () => {
    const f = new PositionFilter({ distanceFilterM: 30, minIntervalS: 0 })
    const kept = [0, 10, 20, 29, 40].map((m) => f.decide(at(-0.1, 51.5 + north(m))).keep)
    expect(kept).toEqual([true, false, false, false, true])
  })
  it('drops positions closer in time than minIntervalS', () => {
    const f = new PositionFilter({ distanceFilterM: 0, minIntervalS: 10 })
    expect(f.decide(at(0, 0, 0)).keep).toBe(true)
    expect(f.decide(at(1, 0, 5))).toEqual({ keep: false, reason: 'interval' })
    expect(f.decide(at(1, 0, 10)).keep).toBe(true)
  })
})
