import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64'
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus'

/** A seeded random source: the same seed gives the same fleet and the same journeys. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number
  /** Uniform in [min, max). */
  between(min: number, max: number): number
}

export function createRng(seed: number): Rng {
  const g = xoroshiro128plus(seed | 0)
  const next = () => uniformFloat64(g)
  return { next, between: (min, max) => min + next() * (max - min) }
}

/** A child seed per (vehicle, day), so one vehicle's journeys do not depend on how many others there are. */
export function deriveSeed(seed: number, ...parts: number[]): number {
  let h = seed | 0
  for (const p of parts) h = Math.imul(h ^ (p + 0x9e3779b9), 0x85ebca6b) ^ (h >>> 13)
  return h | 0
}
