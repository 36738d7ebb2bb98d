import { describe, expect, it } from 'vitest'
import { expandFleet, loadFleetFile } from './fleet-file.js'
import { distanceM } from './geo.js'
import { planDay, positionAt, sampleTimes } from './journey.js'

const DAY = Date.UTC(2026, 6, 6)

describe('delivery-day journeys', () => {
  const base = loadFleetFile()[0]!.base

  it('starts and ends at the base, within the working day, at street speeds with stops', () => {
    const plan = planDay(base, DAY, 1, 0, 0)
    expect(plan.segments[0]!.from).toEqual(base)
    expect(plan.segments.at(-1)!.to).toEqual(base)
    expect(plan.startMs).toBeGreaterThanOrEqual(DAY + 7 * 3600_000)
    expect(plan.endMs).toBeLessThanOrEqual(DAY + 21 * 3600_000)
    const moving = plan.segments.filter((s) => s.speedMps > 0)
    for (const s of moving) expect(s.speedMps).toBeGreaterThanOrEqual(4)
    for (const s of moving) expect(s.speedMps).toBeLessThanOrEqual(12.5)
    expect(plan.segments.filter((s) => s.speedMps === 0).length).toBeGreaterThanOrEqual(1)
    // Consecutive samples 30 s apart never jump further than the fastest street speed allows.
    const times = sampleTimes(plan, 30)
    for (let i = 1; i < times.length; i++) {
      const d = distanceM(positionAt(plan, times[i - 1]!).lonLat, positionAt(plan, times[i]!).lonLat)
      expect(d).toBeLessThanOrEqual(12.5 * ((times[i]! - times[i - 1]!) / 1000) + 1)
    }
  })

  it('is deterministic per seed and differs between days', () => {
    expect(planDay(base, DAY, 1, 0, 0)).toEqual(planDay(base, DAY, 1, 0, 0))
    expect(planDay(base, DAY, 1, 0, 1).segments[0]!.to).not.toEqual(planDay(base, DAY, 1, 0, 0).segments[0]!.to)
  })

  it('generates vehicles beyond the fleet file near its bases, with unique ids', () => {
    const specs = loadFleetFile()
    const fleet = expandFleet(specs, 25, 3)
    expect(fleet.slice(0, 10)).toEqual(specs)
    expect(new Set(fleet.map((v) => v.deviceId)).size).toBe(25)
    for (let k = 10; k < 25; k++) expect(distanceM(fleet[k]!.base, specs[k % 10]!.base)).toBeLessThanOrEqual(3001)
  })
})
