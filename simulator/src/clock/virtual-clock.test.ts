import { describe, expect, it } from 'vitest'
import { createVirtualClock } from './virtual-clock.js'

const T0 = Date.UTC(2026, 0, 1)

describe('virtual clock', () => {
  it('runs periodic and one-shot events in time order when stepped manually', async () => {
    const clock = createVirtualClock({ startTimeMs: T0 })
    const seen: string[] = []
    clock.every(1000, (t) => {
      seen.push(`tick ${(t - T0) / 1000}`)
    })
    clock.at(T0 + 2500, (t) => {
      seen.push(`once ${(t - T0) / 1000}`)
      expect(clock.nowMs()).toBe(t)
    })
    await clock.runUntil(T0 + 4000)
    expect(seen).toEqual(['tick 1', 'tick 2', 'once 2.5', 'tick 3', 'tick 4'])
    expect(clock.now().toISOString()).toBe('2026-01-01T00:00:04.000Z')
  })

  it('awaits each handler before the next event (back-pressure, no overlap)', async () => {
    const clock = createVirtualClock({ startTimeMs: T0 })
    let running = 0
    let maxRunning = 0
    clock.every(10, async () => {
      running++
      maxRunning = Math.max(maxRunning, running)
      await new Promise((r) => setTimeout(r, 1))
      running--
    })
    await clock.runUntil(T0 + 100)
    expect(maxRunning).toBe(1)
  })

  it('as fast as possible: a virtual hour of 1 s ticks in well under a wall second', async () => {
    const clock = createVirtualClock({ startTimeMs: T0, speedup: Number.POSITIVE_INFINITY })
    let ticks = 0
    const done = new Promise<void>((resolve) => {
      clock.every(1000, (t) => {
        ticks++
        if (t >= T0 + 3_600_000) resolve()
      })
    })
    const wall = performance.now()
    clock.start()
    await done
    await clock.close()
    expect(ticks).toBe(3600)
    expect(performance.now() - wall).toBeLessThan(1000)
  })

  it('paces virtual time by the speedup against the wall clock', async () => {
    let wall = 0
    const clock = createVirtualClock({ startTimeMs: T0, speedup: 60, wallNowMs: () => wall })
    const fired: number[] = []
    clock.every(60_000, (t) => {
      fired.push(t)
    })
    clock.start()
    wall = 500 // 30 virtual seconds: nothing due yet, time flows between events
    expect(clock.nowMs()).toBe(T0 + 30_000)
    wall = 1000
    await new Promise((r) => setTimeout(r, 120))
    expect(fired).toEqual([T0 + 60_000])
    wall = 10_000 // ten minutes due at once: they run back to back, in order
    await new Promise((r) => setTimeout(r, 120))
    expect(fired).toHaveLength(10)
    await clock.close()
  })

  it('stops on a handler error without onError and reports it from close()', async () => {
    const clock = createVirtualClock({ startTimeMs: T0, speedup: Number.POSITIVE_INFINITY })
    clock.at(T0 + 5, () => {
      throw new Error('boom')
    })
    clock.start()
    await new Promise((r) => setTimeout(r, 10))
    await expect(clock.close()).rejects.toThrow('boom')
  })

  it('rejects a non-positive speedup and interval', () => {
    expect(() => createVirtualClock({ speedup: 0 })).toThrow(expect.objectContaining({ code: 'SIM_CLOCK_INVALID' }))
    expect(() => createVirtualClock().every(0, () => {})).toThrow(/intervalMs/)
  })
})
