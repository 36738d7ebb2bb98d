import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { computeStats, percentileNearestRank } from './stats.js'
import { type Reading, WindowAggregator } from './window-aggregator.js'

const opts = { windowMs: 60_000, allowedLatenessMs: 0, maxReadingsPerWindow: 1000 }
const r = (deviceId: string, timeMs: number, value: number, metric = 'tempC'): Reading => ({ deviceId, metric, timeMs, value })

describe('stats', () => {
  it('computes count, mean, min, max and the nearest-rank p95', () => {
    const values = Array.from({ length: 20 }, (_, i) => 20 - i) // 20..1
    expect(computeStats(values)).toEqual({ count: 20, mean: 10.5, min: 1, max: 20, p95: 19 })
    expect(percentileNearestRank([5], 0.95)).toBe(5)
    expect(percentileNearestRank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21], 0.95)).toBe(20)
  })
})

describe('WindowAggregator', () => {
  it('keeps a window open until a reading past its end arrives, then closes it with its statistics', () => {
    const agg = new WindowAggregator(opts)
    agg.add([r('pump-1', 1_000, 10), r('pump-1', 59_999, 30), r('pump-2', 5_000, 7)])
    expect(agg.closeByEventTime()).toEqual([])
    agg.add([r('pump-1', 60_000, 1)])
    const closed = agg.closeByEventTime()
    expect(closed.map((w) => [w.deviceId, w.windowStartMs, w.windowEndMs, w.count, w.mean, w.min, w.max, w.p95])).toEqual([
      ['pump-1', 0, 60_000, 2, 20, 10, 30, 30],
      ['pump-2', 0, 60_000, 1, 7, 7, 7, 7],
    ])
    expect(agg.openWindowCount).toBe(1)
  })

  it('counts a reading for an already closed window as late and leaves the result alone', () => {
    const agg = new WindowAggregator(opts)
    agg.add([r('a', 1_000, 1), r('a', 61_000, 2)])
    expect(agg.closeByEventTime()).toHaveLength(1)
    expect(agg.add([r('a', 2_000, 99)])).toEqual({
      accepted: 0,
      late: 1,
      lateWindows: [{ deviceId: 'a', windowStartMs: 0, windowEndMs: 60_000 }],
      overflow: 0,
    })
    expect(agg.closeUpTo(120_000)[0]).toMatchObject({ windowStartMs: 60_000, count: 1, max: 2 })
  })

  it('waits the allowed lateness before closing', () => {
    const agg = new WindowAggregator({ ...opts, allowedLatenessMs: 10_000 })
    agg.add([r('a', 1_000, 1), r('a', 69_999, 2)])
    expect(agg.closeByEventTime()).toEqual([])
    agg.add([r('a', 30_000, 3), r('a', 70_000, 4)])
    expect(agg.closeByEventTime()[0]).toMatchObject({ count: 2, min: 1, max: 3 })
  })

  it('closes by the clock and ignores a clock that goes back', () => {
    const agg = new WindowAggregator(opts)
    agg.add([r('a', 1_000, 1), r('a', 61_000, 2)])
    expect(agg.closeUpTo(59_999)).toEqual([])
    expect(agg.closeUpTo(130_000)).toHaveLength(2)
    expect(agg.closeUpTo(0)).toEqual([])
  })

  it('caps the readings kept per window and reports the overflow', () => {
    const agg = new WindowAggregator({ ...opts, maxReadingsPerWindow: 2 })
    expect(agg.add([r('a', 1, 1), r('a', 2, 2), r('a', 3, 3)])).toEqual({ accepted: 2, late: 0, lateWindows: [], overflow: 1 })
  })

  it('gives the same windows whether or not it is snapshotted and restored between any two batches', () => {
    const reading = fc.record({
      deviceId: fc.constantFrom('a', 'b', 'c'),
      metric: fc.constantFrom('x', 'y'),
      timeMs: fc.integer({ min: 0, max: 600_000 }),
      value: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
    })
    fc.assert(
      fc.property(fc.array(fc.array(reading, { maxLength: 20 }), { maxLength: 8 }), (batches) => {
        const straight = new WindowAggregator(opts)
        let restored = new WindowAggregator(opts)
        const a: unknown[] = []
        const b: unknown[] = []
        for (const batch of batches) {
          straight.add(batch)
          a.push(...straight.closeByEventTime())
          restored.add(batch)
          b.push(...restored.closeByEventTime())
          restored = new WindowAggregator(opts, JSON.parse(JSON.stringify(restored.snapshot())))
        }
        a.push(...straight.closeUpTo(Number.MAX_SAFE_INTEGER))
        b.push(...restored.closeUpTo(Number.MAX_SAFE_INTEGER))
        expect(b).toEqual(a)
      }),
      { numRuns: 200 },
    )
  })
})
