import { requireFinite } from './errors.js'
import { fft, nextPowerOfTwo } from './fft.js'
import { createRandom } from './random.js'

/** Kaimal integral length of the longitudinal component at hub heights >= 60 m: 8.1 × 42 m (IEC 61400-1 ed. 3). */
export const KAIMAL_LENGTH_SCALE_M = 340.2

/** One-sided Kaimal spectrum (IEC 61400-1 ed. 3, annex C) of a unit-variance longitudinal component, 1/Hz. */
export function kaimalSpectrum(frequencyHz: number, meanWindSpeedMps: number, lengthScaleM = KAIMAL_LENGTH_SCALE_M): number {
  const l = lengthScaleM / Math.max(meanWindSpeedMps, 0.1)
  return (4 * l) / (1 + 6 * frequencyHz * l) ** (5 / 3)
}

/**
 * A unit-variance, zero-mean Gaussian time series with a Kaimal spectrum, sampled every `dtS`, at least
 * `durationS` long (plus a sample): random phases on the spectral amplitudes, inverse FFT, then scaled to exactly unit sample
 * variance so that the turbulence intensity asked for is the one delivered.
 */
export function kaimalSeries(options: {
  durationS: number
  dtS: number
  meanWindSpeedMps: number
  seed: number
  /** Window over which mean and variance are normalised (s); defaults to `durationS`. */
  normalizeS?: number
}): Float64Array {
  const n = nextPowerOfTwo(Math.ceil(options.durationS / options.dtS) + 2)
  const df = 1 / (n * options.dtS)
  const rand = createRandom(options.seed)
  const re = new Float64Array(n)
  const im = new Float64Array(n)
  for (let k = 1; k < n / 2; k++) {
    // Amplitude of a cosine with variance S(f)·df is sqrt(2 S df); an inverse DFT of X_k and X_{n-k}=conj(X_k)
    // gives 2|X_k|cos(...), hence |X_k| = sqrt(2 S df)/2.
    const amplitude = Math.sqrt(2 * kaimalSpectrum(k * df, options.meanWindSpeedMps) * df) / 2
    const phase = 2 * Math.PI * rand()
    re[k] = amplitude * Math.cos(phase)
    im[k] = amplitude * Math.sin(phase)
    re[n - k] = re[k]!
    im[n - k] = -im[k]!
  }
  fft(re, im, 1)
  // Normalise over the samples asked for, not the whole FFT period, so that the run's own mean is exactly zero
  // and its own standard deviation exactly one.
  const m = Math.min(n, Math.ceil(options.durationS / options.dtS) + 2)
  const w = Math.min(m, Math.max(2, Math.round((options.normalizeS ?? options.durationS) / options.dtS)))
  const out = re.slice(0, m)
  let mean = 0
  for (let i = 0; i < w; i++) mean += out[i]!
  mean /= w
  let variance = 0
  for (let i = 0; i < w; i++) variance += (out[i]! - mean) ** 2
  const scale = variance > 0 ? 1 / Math.sqrt(variance / w) : 0
  for (let i = 0; i < m; i++) out[i] = (out[i]! - mean) * scale
  return out
}

/** Hub-height longitudinal wind speed as a function of time. */
export interface WindField {
  /** Wind speed (m/s, >= 0) at `timeS`; calls must not go backwards in time by more than one segment. */
  speedAt(timeS: number): number
  /** Changes the turbulence intensity from now on (fault injection: a step in turbulence). */
  setTurbulenceIntensity(turbulenceIntensity: number): void
  /** Changes the mean wind speed from now on (the farm's slowly drifting site wind). */
  setMeanWindSpeed(meanWindSpeedMps: number): void
}

export interface TurbulentWindOptions {
  meanWindSpeedMps: number
  /** σ/mean of the longitudinal component; 0 gives steady wind. */
  turbulenceIntensity?: number
  seed?: number
  /** Length of each generated Kaimal segment; an unbounded run cross-fades independent segments. */
  segmentS?: number
  /** Sampling step of the generated series; the speed is linearly interpolated between samples. */
  sampleDtS?: number
}

/**
 * Steady or turbulent wind: `mean × (1 + TI × u(t))` with u a unit-variance Kaimal series. Unbounded in time:
 * successive independent segments are cross-faded with cos/sin weights over `segmentS / 10`, which keeps the
 * variance (cos² + sin² = 1) and avoids a jump at the boundary. Deterministic for a seed.
 */
export function createWindField(options: TurbulentWindOptions): WindField {
  let mean = requireFinite('meanWindSpeedMps', options.meanWindSpeedMps, 0, 100)
  let ti = requireFinite('turbulenceIntensity', options.turbulenceIntensity ?? 0, 0, 1)
  const segmentS = requireFinite('segmentS', options.segmentS ?? 600, 10, 1e6)
  const dtS = requireFinite('sampleDtS', options.sampleDtS ?? 0.05, 0.001, 1)
  const fadeS = segmentS / 10
  const seed = Math.trunc(options.seed ?? 1)
  const segments = new Map<number, Float64Array>()
  const segment = (k: number): Float64Array => {
    let s = segments.get(k)
    if (!s) {
      // Each segment has its own seed, so the series is the same whichever order segments are asked for.
      s = kaimalSeries({
        durationS: segmentS + fadeS,
        normalizeS: segmentS,
        dtS,
        meanWindSpeedMps: Math.max(mean, 1),
        seed: seed * 7919 + k * 104_729,
      })
      segments.set(k, s)
      for (const old of segments.keys()) if (old < k - 1) segments.delete(old)
    }
    return s
  }
  const sample = (s: Float64Array, localS: number): number => {
    const x = localS / dtS
    const i = Math.min(Math.floor(x), s.length - 2)
    const f = x - i
    return s[i]! + (s[i + 1]! - s[i]!) * f
  }
  const unit = (timeS: number): number => {
    const t = Math.max(timeS, 0)
    const k = Math.floor(t / segmentS)
    const local = t - k * segmentS
    const current = sample(segment(k), local)
    if (local >= fadeS || k === 0) return current
    // Fade in segment k while the tail of segment k-1 fades out.
    const w = (local / fadeS) * (Math.PI / 2)
    return Math.sin(w) * current + Math.cos(w) * sample(segment(k - 1), local + segmentS)
  }
  return {
    speedAt(timeS) {
      if (ti === 0) return mean
      return Math.max(0, mean * (1 + ti * unit(timeS)))
    },
    setTurbulenceIntensity(value) {
      ti = requireFinite('turbulenceIntensity', value, 0, 1)
    },
    setMeanWindSpeed(value) {
      mean = requireFinite('meanWindSpeedMps', value, 0, 100)
    },
  }
}
