import { describe, expect, it } from 'vitest'
import { alarmsFromMask } from './alarms.js'
import { createTurbine } from './turbine.js'

function run(turbine: ReturnType<typeof createTurbine>, seconds: number, windMps: number) {
  for (let i = 0; i < seconds * 100; i++) turbine.step(0.01, windMps)
  return turbine.state
}

describe('turbine stepping API', () => {
  it('settles at a new rated-speed set-point applied mid-run, still at rated power', () => {
    const t = createTurbine({ initialWindSpeedMps: 16 })
    expect(run(t, 60, 16).generatorSpeedRpm).toBeCloseTo(1173.7, 0)
    t.setParameters({ ratedGeneratorSpeedRpm: 1100 })
    const s = run(t, 200, 16)
    expect(s.generatorSpeedRpm).toBeCloseTo(1100, 0)
    expect(s.generatorPowerW / 5e6).toBeCloseTo(1, 2)
    expect(t.parameters.ratedGeneratorSpeedRpm).toBe(1100)
  })

  it('rejects unknown and non-finite parameters', () => {
    const t = createTurbine()
    expect(() => t.setParameters({ ratedGeneratorSpeedRpm: Number.NaN })).toThrow(
      expect.objectContaining({ code: 'MODEL_INVALID_OPTIONS' }),
    )
    expect(() => createTurbine({ parameters: { bogus: 1 } as never })).toThrow(/unknown controller parameter 'bogus'/)
  })

  it('raises and latches the over-speed alarm in a gust until taken', () => {
    const t = createTurbine({ initialWindSpeedMps: 14 })
    run(t, 30, 14)
    expect(t.takeAlarms()).toBe(0)
    run(t, 3, 30) // a gust well beyond what the pitch rate can follow
    run(t, 60, 14)
    expect(alarmsFromMask(t.state.alarmMask)).not.toContain('overspeed')
    expect(alarmsFromMask(t.takeAlarms())).toContain('overspeed')
    expect(t.takeAlarms()).toBe(0)
  })

  it('starts from rest in moderate wind and reaches region 2', () => {
    const t = createTurbine({ initialConditions: { rotorSpeedRpm: 0, bladePitchDeg: 0 }, initialWindSpeedMps: 9 })
    const s = run(t, 400, 9)
    expect(s.torqueRegion).toBe(2)
    expect(s.rotorSpeedRpm).toBeGreaterThan(9.5)
  })
})
