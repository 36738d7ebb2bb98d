import { runSimulation } from '@edgetwin/turbine-model'
import { describe, expect, it } from 'vitest'
import { outputTailMeans } from './openfast-reference.js'

/** Means of the last 20 s of a 120 s steady run, with or without the ROSCO-like minimum-pitch schedule. */
function steady(windSpeedMps: number, peakShaving: boolean) {
  return outputTailMeans(runSimulation({ windSpeedMps, durationS: 120, peakShaving }))
}

describe('ROSCO-like peak-shaving option', () => {
  it('at 11.4 m/s pitches and gives up power as ROSCO does in OpenFAST (issue #21: ~2.6°, ~4.3 MW)', () => {
    const shaved = steady(11.4, true)
    expect(Math.abs(shaved.BldPitch1! - 2.6)).toBeLessThan(1)
    expect(Math.abs(shaved.GenPwr! / 4300 - 1)).toBeLessThan(0.03)
    // …where the baseline controller stays at 0° and 4.72 MW (OpenFAST with the baseline DISCON: 4719.36 kW).
    const baseline = steady(11.4, false)
    expect(baseline.BldPitch1).toBe(0)
    expect(Math.abs(baseline.GenPwr! / 4719.36 - 1)).toBeLessThan(0.02)
    expect(shaved.RotThrust!).toBeLessThan(0.9 * baseline.RotThrust!)
  })

  it.each([9, 16])('at %s m/s agrees with the baseline controller (the schedule is below the operating pitch there)', (v) => {
    const shaved = steady(v, true)
    const baseline = steady(v, false)
    expect(Math.abs(shaved.GenPwr! / baseline.GenPwr! - 1)).toBeLessThan(0.001)
    expect(Math.abs(shaved.BldPitch1! - baseline.BldPitch1!)).toBeLessThan(0.05)
  })
})
