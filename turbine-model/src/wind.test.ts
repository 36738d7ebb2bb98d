import { describe, expect, it } from 'vitest'
import { fft } from './fft.js'
import { createWindField, kaimalSeries, kaimalSpectrum } from './wind.js'

describe('Kaimal turbulence', () => {
  it('has the asked turbulence intensity', () => {
    const wind = createWindField({ meanWindSpeedMps: 12, turbulenceIntensity: 0.18, seed: 3, segmentS: 600 })
    const v = Array.from({ length: 12_000 }, (_, i) => wind.speedAt(i * 0.05))
    const mean = v.reduce((a, b) => a + b) / v.length
    const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length)
    expect(mean).toBeCloseTo(12, 2)
    expect(std / 12).toBeCloseTo(0.18, 2)
  })

  it('puts its energy where the Kaimal spectrum does (low band vs high band)', () => {
    // Average over seeds of the periodogram power in two bands, compared with the integral of S(f).
    const dtS = 0.1
    const meanV = 10
    const bands: Array<[number, number]> = [
      [0.005, 0.05],
      [0.2, 2],
    ]
    const measured = [0, 0]
    const seeds = 8
    let df = 0
    for (let seed = 1; seed <= seeds; seed++) {
      // 16384 samples: the FFT period itself, so the periodogram has no leakage.
      const x = kaimalSeries({ durationS: 1638.2, dtS, meanWindSpeedMps: meanV, seed }).subarray(0, 16_384)
      const n = x.length
      expect(n).toBe(16_384)
      df = 1 / (n * dtS)
      const re = Float64Array.from(x)
      const im = new Float64Array(n)
      fft(re, im, -1)
      for (let k = 1; k < n / 2; k++) {
        const power = (2 * (re[k]! ** 2 + im[k]! ** 2)) / (n * n) // variance carried by bin k
        bands.forEach(([lo, hi], b) => {
          if (k * df >= lo && k * df < hi) measured[b]! += power / seeds
        })
      }
    }
    bands.forEach(([lo, hi], b) => {
      let expected = 0
      for (let f = lo; f < hi; f += df) expected += kaimalSpectrum(f, meanV) * df
      expect(measured[b]! / expected).toBeGreaterThan(0.8)
      expect(measured[b]! / expected).toBeLessThan(1.25)
    })
  })

  it('is continuous across segment boundaries and keeps its variance', () => {
    // 60 s segments sampled every 0.05 s: sample 1200·k is a segment boundary.
    const wind = createWindField({ meanWindSpeedMps: 10, turbulenceIntensity: 0.15, seed: 9, segmentS: 60 })
    let prev = wind.speedAt(0)
    const jumps: number[] = []
    const boundaryJumps: number[] = []
    const values: number[] = []
    for (let i = 1; i < 24_000; i++) {
      const v = wind.speedAt(i * 0.05)
      jumps.push(Math.abs(v - prev))
      if (i % 1200 === 0) boundaryJumps.push(Math.abs(v - prev))
      values.push(v)
      prev = v
    }
    // Without the cross-fade a boundary would jump by about σ·√2 ≈ 2 m/s; with it, no more than ordinary steps.
    const p99 = jumps.sort((a, b) => a - b)[Math.floor(0.99 * jumps.length)]!
    expect(Math.max(...boundaryJumps)).toBeLessThan(p99)
    const mean = values.reduce((a, b) => a + b) / values.length
    const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length)
    expect(std / 10).toBeGreaterThan(0.13)
    expect(std / 10).toBeLessThan(0.17)
  })

  it('steps the turbulence intensity when asked (fault injection)', () => {
    const wind = createWindField({ meanWindSpeedMps: 10, turbulenceIntensity: 0.05, seed: 1 })
    const spread = (from: number) => {
      const v = Array.from({ length: 6000 }, (_, i) => wind.speedAt(from + i * 0.05))
      const m = v.reduce((a, b) => a + b) / v.length
      return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length)
    }
    const before = spread(0)
    wind.setTurbulenceIntensity(0.25)
    expect(spread(300)).toBeGreaterThan(3 * before)
  })

  it('is steady without turbulence', () => {
    const wind = createWindField({ meanWindSpeedMps: 7 })
    expect([0, 10, 1000].map((t) => wind.speedAt(t))).toEqual([7, 7, 7])
  })
})
