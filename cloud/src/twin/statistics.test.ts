import type { TurbineSample } from '@edgetwin/shared-schemas'
import { describe, expect, it } from 'vitest'
import { evaluateWindow } from './detector.js'
import { expectedPowerKw } from './power-curve.js'
import { moments, windowStatistics } from './statistics.js'

function sample(i: number, windSpeedMps: number, rotorSpeedRpm: number, overspeed = false, generatorPowerKw = 5000): TurbineSample {
  return {
    time: new Date(Date.UTC(2026, 9, 1, 12, 0, i)).toISOString(),
    windSpeedMps,
    rotorSpeedRpm,
    generatorSpeedRpm: rotorSpeedRpm * 97,
    generatorPowerKw,
    generatorTorqueKnm: 43,
    bladePitchDeg: 5,
    alarms: overspeed ? ['overspeed'] : [],
  }
}

describe('window statistics', () => {
  it('computes mean, max and population standard deviation', () => {
    expect(moments([2, 4, 4, 4, 5, 5, 7, 9])).toEqual({ mean: 5, max: 9, std: 2 })
  })

  it('estimates turbulence intensity as the wind standard deviation over its mean', () => {
    // Wind alternating 12 ± 3 m/s: std 3, mean 12 → TI 0.25.
    const samples = Array.from({ length: 600 }, (_, i) => sample(i, i % 2 === 0 ? 9 : 15, 12))
    const stats = windowStatistics('t1', 'a', 'b', samples)
    expect(stats.turbulenceIntensity).toBeCloseTo(0.25, 10)
    expect(stats.sampleCount).toBe(600)
  })

  it('counts over-speed episodes, not alarm samples', () => {
    const flags = [false, true, true, false, true, false, false, true, true, true]
    const stats = windowStatistics(
      't1',
      'a',
      'b',
      flags.map((f, i) => sample(i, 14, f ? 13.5 : 12.1, f)),
    )
    expect(stats.overspeedAlarmSamples).toBe(6)
    expect(stats.overspeedEpisodes).toBe(3)
    expect(stats.rotorSpeedRpm.max).toBe(13.5)
  })

  it('compares power with the steady power curve at each sample, not at the mean wind', () => {
    const samples = [sample(0, 6, 8, false, 500), sample(1, 10, 11, false, 500)]
    const stats = windowStatistics('t1', 'a', 'b', samples)
    expect(stats.expectedPowerKw).toBeCloseTo((expectedPowerKw(6) + expectedPowerKw(10)) / 2, 9)
    expect(stats.powerRatio).toBeCloseTo(500 / stats.expectedPowerKw, 9)
  })
})

describe('power curve', () => {
  it('follows ½ρAv³·Cp·η below rated and holds 5 MW above', () => {
    // 8 m/s: 0.5 · 1.225 · π·63² · 0.482 · 512 · 0.944 ≈ 1.78 MW.
    expect(expectedPowerKw(8)).toBeCloseTo((0.5 * 1.225 * Math.PI * 63 ** 2 * 0.482 * 512 * 0.944) / 1000, 6)
    expect(expectedPowerKw(15)).toBe(5000)
    expect(expectedPowerKw(2)).toBe(0)
    expect(expectedPowerKw(26)).toBe(0)
  })
})

describe('detector rules', () => {
  const thresholds = { overspeedEpisodesPerWindow: 2, maxRotorSpeedRpm: 13.8, minPowerRatio: 0.8, minSamples: 5 }

  it('flags a window with enough over-speed episodes', () => {
    const flags = [true, false, true, false, false, false]
    const stats = windowStatistics(
      't1',
      'a',
      'b',
      flags.map((f, i) => sample(i, 14, 12.5, f)),
    )
    expect(evaluateWindow(stats, thresholds).map((f) => f.kind)).toEqual(['overspeed-alarms'])
  })

  it('leaves a normal window alone', () => {
    const stats = windowStatistics(
      't1',
      'a',
      'b',
      Array.from({ length: 10 }, (_, i) => sample(i, 14, 12.1)),
    )
    expect(evaluateWindow(stats, thresholds)).toEqual([])
  })

  it('does not judge a window with too few samples', () => {
    const stats = windowStatistics('t1', 'a', 'b', [sample(0, 14, 15, true), sample(1, 14, 15, false), sample(2, 14, 15, true)])
    expect(evaluateWindow(stats, thresholds)).toEqual([])
  })

  it('flags rotor over-speed and a power deficit', () => {
    const stats = windowStatistics(
      't1',
      'a',
      'b',
      Array.from({ length: 10 }, (_, i) => sample(i, 14, i === 3 ? 14.2 : 12, false, 3000)),
    )
    expect(evaluateWindow(stats, thresholds).map((f) => f.kind)).toEqual(['rotor-overspeed', 'power-deficit'])
  })
})
