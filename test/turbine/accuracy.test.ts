import { column, RIGID_ROTOR_CALIBRATION, runSimulation, type SimulationOutput } from '@edgetwin/turbine-model'
import { describe, expect, it } from 'vitest'
import {
  aeroPowerW,
  constants,
  cpAt,
  EFFICIENCY,
  GEARBOX,
  peakCp,
  pitchForPower,
  RATED_MECHANICAL_W,
  tipSpeedRatio,
} from './first-principles.js'

/**
 * The last row of a steady-wind run long enough for the controller to settle. These tests check the mechanics of the
 * rigid rotor against the published table, so they run without the OpenFAST calibration (openfast-reference.test.ts
 * checks the calibrated model against OpenFAST).
 */
function settled(
  windSpeedMps: number,
  output: SimulationOutput = runSimulation({ windSpeedMps, durationS: 400, calibration: RIGID_ROTOR_CALIBRATION }),
) {
  const last = (name: string) => {
    const c = column(output, name)!
    return c[c.length - 1]!
  }
  const rotorRpm = last('RotSpeed')
  return {
    rotorRpm,
    generatorRpm: last('GenSpeed'),
    torqueNm: last('GenTq') * 1000,
    powerW: last('GenPwr') * 1000,
    pitchDeg: last('BldPitch1'),
    rotorTorqueNm: last('RotTorq') * 1000,
    rotorPowerW: last('RotTorq') * 1000 * ((rotorRpm * Math.PI) / 30),
    tsr: tipSpeedRatio(rotorRpm, windSpeedMps),
  }
}

describe('steady wind, region 2 (below rated)', () => {
  const [optimalTsr, peak] = peakCp(0)

  it.each([8.5, 9, 10])('at %s m/s holds 0 deg pitch and tracks the optimal tip-speed ratio', (v) => {
    const s = settled(v)
    expect(s.pitchDeg).toBe(0)
    expect(Math.abs(s.tsr - optimalTsr)).toBeLessThan(0.3)
    // Cp at the operating point from the published table is within 1 % of the table's peak at 0 deg.
    expect(cpAt(s.tsr, 0)).toBeGreaterThan(0.99 * peak)
  })

  it.each([8.5, 9, 10])('at %s m/s balances rotor power, the region-2 torque law and electrical power', (v) => {
    const s = settled(v)
    const mechanicalW = s.torqueNm * ((s.generatorRpm * Math.PI) / 30)
    // Aerodynamic power = ½ρAV³·Cp(λ, θ) with Cp read from the published table at the operating point.
    expect(s.rotorPowerW / aeroPowerW(v, cpAt(s.tsr, s.pitchDeg))).toBeCloseTo(1, 2)
    // Steady state: shaft power in = generator shaft power out (no gearbox loss in the NREL 5-MW).
    expect(mechanicalW / s.rotorPowerW).toBeCloseTo(1, 2)
    // T = K·ω² with the report's K = 0.0255764 N-m/rpm².
    expect(s.torqueNm / (constants.baselineController.region2TorqueGainNmPerRpm2 * s.generatorRpm ** 2)).toBeCloseTo(1, 2)
    expect(s.powerW / (mechanicalW * EFFICIENCY)).toBeCloseTo(1, 3)
    expect(s.generatorRpm / s.rotorRpm).toBeCloseTo(GEARBOX, 6)
  })
})

describe('steady wind, region 3 (above rated)', () => {
  const winds = [13, 16, 20, 24]
  const states = winds.map((v) => settled(v))

  it.each(winds.map((v, i) => [v, i]))('at %s m/s holds the design point: 12.1 rpm, 1173.7 rpm, 5 MW', (_v, i) => {
    const s = states[i]!
    expect(s.rotorRpm).toBeCloseTo(constants.rotor.ratedRotorSpeedRpm, 1)
    expect(s.generatorRpm).toBeCloseTo(constants.drivetrain.ratedGeneratorSpeedRpm, 0)
    expect(s.powerW / constants.baselineController.ratedElectricalPowerW).toBeCloseTo(1, 3)
  })

  it.each(winds.map((v, i) => [v, i]))('at %s m/s pitches to where the Cp table gives rated power', (v, i) => {
    const s = states[i]!
    expect(s.rotorPowerW / RATED_MECHANICAL_W).toBeCloseTo(1, 2)
    expect(s.rotorPowerW / aeroPowerW(v, cpAt(s.tsr, s.pitchDeg))).toBeCloseTo(1, 2)
    expect(Math.abs(s.pitchDeg - pitchForPower(v, s.tsr, RATED_MECHANICAL_W))).toBeLessThan(0.2)
  })

  it('raises pitch with wind speed', () => {
    const pitches = states.map((s) => s.pitchDeg)
    expect(pitches[0]).toBeGreaterThan(1)
    for (let i = 1; i < pitches.length; i++) expect(pitches[i]).toBeGreaterThan(pitches[i - 1]! + 1)
  })
})

describe('blade erosion (Cp scaled down)', () => {
  it('loses power below rated in proportion and still balances power with the scaled Cp', () => {
    const clean = settled(9)
    const eroded = settled(
      9,
      runSimulation({ windSpeedMps: 9, durationS: 400, faults: { cpScale: 0.9 }, calibration: RIGID_ROTOR_CALIBRATION }),
    )
    expect(eroded.powerW).toBeLessThan(0.95 * clean.powerW)
    expect(eroded.rotorPowerW / aeroPowerW(9, 0.9 * cpAt(eroded.tsr, 0))).toBeCloseTo(1, 2)
  })
})
