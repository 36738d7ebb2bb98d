/**
 * A small seeded PRNG (mulberry32, public domain): deterministic across platforms for a given 32-bit seed,
 * which is what "deterministic for a seed" needs; not for cryptography.
 */
export function createRandom(seed: number): () => number {
  let a = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
