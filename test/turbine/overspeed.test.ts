import { CONTROLLER_PARAMETER_DEFAULTS } from '@edgetwin/shared-schemas'
import { type RunOptions, runSimulation, summarizeOutput } from '@edgetwin/turbine-model'
import { describe, expect, it } from 'vitest'

/** Over-speed episodes summed over a few seeds of a 600 s turbulent run: what the twin screens a change with. */
function episodes(windSpeedMps: number, turbulenceIntensity: number, parameters: RunOptions['parameters'] = {}): number {
  let total = 0
  for (const seed of [1, 2, 3]) {
    total += summarizeOutput(runSimulation({ windSpeedMps, turbulenceIntensity, seed, durationS: 600, parameters })).overspeedExceedances
  }
  return total
}

describe('region 3 in turbulence (the digital-twin scenario)', () => {
  const cases: Array<[number, number]> = [
    [14, 0.15],
    [16, 0.2],
    [18, 0.25],
  ]

  it.each(cases)('at %s m/s, TI %s, the default controller over-speeds', (v, ti) => {
    expect(episodes(v, ti)).toBeGreaterThan(3)
  })

  it.each(cases)('at %s m/s, TI %s, higher pitch gains reduce over-speed episodes', (v, ti) => {
    const base = episodes(v, ti)
    const tuned = episodes(v, ti, {
      pitchProportionalGainS: CONTROLLER_PARAMETER_DEFAULTS.pitchProportionalGainS * 1.6,
      pitchIntegralGain: CONTROLLER_PARAMETER_DEFAULTS.pitchIntegralGain * 1.6,
    })
    expect(tuned).toBeLessThan(base)
  })

  it.each(cases)('at %s m/s, TI %s, a lower rated-speed set-point reduces over-speed episodes', (v, ti) => {
    expect(episodes(v, ti, { ratedGeneratorSpeedRpm: 1100 })).toBeLessThan(episodes(v, ti))
  })

  it('does not over-speed in steady wind', () => {
    expect(summarizeOutput(runSimulation({ windSpeedMps: 16, durationS: 300 })).overspeedExceedances).toBe(0)
  })

  it('keeps mean power near rated and mean speed near the set-point', () => {
    const s = summarizeOutput(runSimulation({ windSpeedMps: 18, turbulenceIntensity: 0.15, seed: 4, durationS: 600 }))
    expect(s.channels.GenPwr!.mean).toBeGreaterThan(4700)
    expect(s.channels.GenPwr!.mean).toBeLessThan(5100)
    expect(Math.abs(s.channels.GenSpeed!.mean - 1173.7)).toBeLessThan(15)
    expect(s.channels.GenSpeed!.std).toBeGreaterThan(5)
  })
})

describe('determinism', () => {
  it('gives identical output for a seed and different output for another', () => {
    const run = (seed: number) => runSimulation({ windSpeedMps: 12, turbulenceIntensity: 0.12, seed, durationS: 60 })
    const a = run(7)
    const b = run(7)
    const c = run(8)
    expect(a.columns.map((col) => Array.from(col))).toEqual(b.columns.map((col) => Array.from(col)))
    expect(Array.from(a.columns[3]!)).not.toEqual(Array.from(c.columns[3]!))
  })
})
