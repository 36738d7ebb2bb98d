import { describe, expect, it } from 'vitest'
import { countOverspeedEpisodes, summarizeOutput } from './summary.js'

function series(durationS: number, dtS: number, f: (t: number) => number) {
  const n = Math.round(durationS / dtS) + 1
  const time = Float64Array.from({ length: n }, (_, i) => i * dtS)
  return { time, values: time.map(f) }
}

describe('over-speed episodes', () => {
  it('counts each excursion of the filtered speed above the threshold once', () => {
    // Three 5 s pulses to 1400 rpm from 1170 rpm: the 0.25 Hz filter passes them (time constant 0.64 s).
    const { time, values } = series(60, 0.05, (t) => (t % 20 >= 5 && t % 20 < 10 ? 1400 : 1170))
    expect(countOverspeedEpisodes(time, values, 1291.07)).toBe(3)
  })

  it('ignores a spike the filter removes', () => {
    const { time, values } = series(20, 0.05, (t) => (t >= 10 && t < 10.1 ? 1500 : 1170))
    expect(countOverspeedEpisodes(time, values, 1291.07)).toBe(0)
  })

  it('counts chatter around the threshold as one episode (1 % hysteresis)', () => {
    const { time, values } = series(60, 0.05, (t) => (t < 5 ? 1170 : 1295 + 5 * Math.sin(t * 2)))
    expect(countOverspeedEpisodes(time, values, 1291.07)).toBe(1)
  })
})

describe('summarizeOutput', () => {
  it('gives mean, max, min and population std per channel and the duration', () => {
    const time = Float64Array.from([0, 1, 2, 3])
    const gen = Float64Array.from([1, 2, 3, 4])
    const s = summarizeOutput({ channels: ['Time', 'GenSpeed'], units: ['s', 'rpm'], columns: [time, gen] }, { overspeedGeneratorRpm: 10 })
    expect(s.durationS).toBe(3)
    expect(s.channels.Time).toBeUndefined()
    expect(s.channels.GenSpeed).toEqual({ mean: 2.5, max: 4, min: 1, std: Math.sqrt(1.25) })
    expect(s.overspeedExceedances).toBe(0)
  })
})
