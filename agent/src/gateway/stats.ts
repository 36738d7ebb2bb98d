/** The statistics of one closed window. */
export interface WindowStats {
  readonly count: number
  readonly mean: number
  readonly min: number
  readonly max: number
  readonly p95: number
}

/**
 * The 95th percentile by the nearest-rank method: the smallest value such that at least 95 % of the values are
 * less than or equal to it (rank = ceil(0.95 × n)). Always one of the observed values; no interpolation.
 */
export function percentileNearestRank(sortedValues: readonly number[], fraction: number): number {
  if (sortedValues.length === 0) throw new RangeError('percentile of an empty set')
  const rank = Math.max(1, Math.ceil(fraction * sortedValues.length))
  return sortedValues[rank - 1] as number
}

/** count, mean, min, max, p95 of `values` (which must not be empty). */
export function computeStats(values: readonly number[]): WindowStats {
  if (values.length === 0) throw new RangeError('statistics of an empty window')
  const sorted = [...values].sort((a, b) => a - b)
  let sum = 0
  for (const v of sorted) sum += v
  return {
    count: sorted.length,
    mean: sum / sorted.length,
    min: sorted[0] as number,
    max: sorted[sorted.length - 1] as number,
    p95: percentileNearestRank(sorted, 0.95),
  }
}
