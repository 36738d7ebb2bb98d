import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createProgress, formatStatus } from './progress.js'

function sink(isTTY: boolean) {
  const writes: string[] = []
  return { writes, output: { isTTY, columns: 200, write: (t: string) => writes.push(t) } }
}

describe('demo progress', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('estimates the time left from the pace so far', () => {
    // A quarter done in 30 s: three quarters left at the same pace is 90 s.
    expect(formatStatus({ task: 'vehicles', detail: 'day 2 of 8', fraction: 0.25, elapsedMs: 30_000 }, false)).toBe(
      'vehicles 25% · day 2 of 8 · 30 s, about 1 min 30 s left',
    )
    expect(formatStatus({ task: 'turbines', detail: 'simulating', elapsedMs: 12_000 }, false)).toBe('turbines · simulating · 12 s')
  })

  it('draws a bar on a terminal and redraws it every second while nothing else is printed', () => {
    const { writes, output } = sink(true)
    const p = createProgress({ output, nowMs: Date.now })
    p.task('turbines')
    p.update('+00:30 of +02:00 virtual', 0.25)
    writes.length = 0
    vi.advanceTimersByTime(3000)
    const redraws = writes.filter((w) => w.startsWith('turbines'))
    expect(redraws).toHaveLength(3)
    expect(redraws[2]).toBe('turbines ▕█████░░░░░░░░░░░░░░░▏ 25% · +00:30 of +02:00 virtual · 3 s, about 9 s left')
    p.close()
  })

  it('keeps a logged line and puts the status back under it on a terminal', () => {
    const { writes, output } = sink(true)
    const p = createProgress({ output, nowMs: Date.now })
    p.task('vehicles')
    writes.length = 0
    p.log('fleet: day 1/7 simulated')
    expect(writes).toEqual(['\r\x1b[K', 'fleet: day 1/7 simulated\n', 'vehicles · 0 s'])
    p.close()
    expect(writes.at(-1)).toBe('\r\x1b[K')
  })

  it('prints a plain status line when not a terminal, only after a quiet interval', () => {
    const { writes, output } = sink(false)
    const p = createProgress({ output, nowMs: Date.now, intervalMs: 2000 })
    p.task('turbines')
    p.update('simulating candidates for turbine-001')
    vi.advanceTimersByTime(1500)
    p.log('+00:30 twin anomaly')
    vi.advanceTimersByTime(1500)
    // 3 s since the task began, but only 1.5 s since the last line: nothing yet.
    expect(writes).toEqual(['+00:30 twin anomaly\n'])
    vi.advanceTimersByTime(1000)
    expect(writes).toEqual(['+00:30 twin anomaly\n', '  … turbines · simulating candidates for turbine-001 · 4 s\n'])
    expect(writes.join('')).not.toContain('\x1b[')
    p.close()
  })
})
