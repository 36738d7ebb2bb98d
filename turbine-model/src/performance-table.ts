import { ModelError } from './errors.js'

/**
 * A rotor performance table: power, thrust and torque coefficients on a grid of tip-speed ratio (rows)
 * and collective blade pitch in degrees (columns), as written by NREL's ROSCO toolbox.
 */
export interface PerformanceTable {
  readonly pitchDeg: Float64Array
  readonly tipSpeedRatio: Float64Array
  /** Row-major, `tipSpeedRatio.length` rows of `pitchDeg.length` values. */
  readonly cp: Float64Array
  readonly ct: Float64Array
  readonly cq: Float64Array
}

function numbersOf(line: string): number[] {
  return line
    .trim()
    .split(/\s+/)
    .filter((t) => t.length > 0)
    .map(Number)
}

/**
 * Parses ROSCO's `Cp_Ct_Cq.<turbine>.txt`: `#` header lines, then the pitch vector, the TSR vector,
 * the wind-speed vector and three matrices (Cp, Ct, Cq), each row one TSR value.
 */
export function parsePerformanceTable(text: string): PerformanceTable {
  const rows = text
    .split(/\r?\n/)
    .filter((l) => l.trim().length > 0 && !l.trimStart().startsWith('#'))
    .map(numbersOf)
  const [pitchRow, tsrRow] = rows
  if (!pitchRow || !tsrRow || rows.some((r) => r.some((n) => !Number.isFinite(n)))) {
    throw new ModelError('MODEL_INVALID_DATA', 'performance table: expected numeric pitch and TSR vectors')
  }
  const nTsr = tsrRow.length
  const nPitch = pitchRow.length
  // rows: pitch, tsr, wind speed, then 3 × nTsr matrix rows
  const matrixRows = rows.slice(3)
  if (matrixRows.length !== 3 * nTsr || matrixRows.some((r) => r.length !== nPitch)) {
    throw new ModelError(
      'MODEL_INVALID_DATA',
      `performance table: expected 3 matrices of ${nTsr}x${nPitch}, got ${matrixRows.length} rows of lengths ${[...new Set(matrixRows.map((r) => r.length))].join(',')}`,
    )
  }
  const matrix = (k: number) => Float64Array.from(matrixRows.slice(k * nTsr, (k + 1) * nTsr).flat())
  for (const v of [pitchRow, tsrRow]) {
    for (let i = 1; i < v.length; i++) {
      if (!(v[i]! > v[i - 1]!)) throw new ModelError('MODEL_INVALID_DATA', 'performance table: axis vectors must increase strictly')
    }
  }
  return {
    pitchDeg: Float64Array.from(pitchRow),
    tipSpeedRatio: Float64Array.from(tsrRow),
    cp: matrix(0),
    ct: matrix(1),
    cq: matrix(2),
  }
}

/** Index i such that axis[i] <= x < axis[i+1], clamped to [0, n-2]. */
function cellIndex(axis: Float64Array, x: number): number {
  let lo = 0
  let hi = axis.length - 2
  if (x <= axis[0]!) return 0
  if (x >= axis[hi]!) return hi
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (axis[mid]! <= x) lo = mid
    else hi = mid - 1
  }
  return lo
}

/**
 * Bilinear interpolation of `surface` (one of cp, ct, cq) at (tip-speed ratio, pitch). Outside the grid the
 * value at the nearest edge is used (the table's range covers the turbine's operating envelope).
 */
export function interpolate(table: PerformanceTable, surface: Float64Array, tipSpeedRatio: number, pitchDeg: number): number {
  const x = table.tipSpeedRatio
  const y = table.pitchDeg
  const nPitch = y.length
  const lam = Math.min(Math.max(tipSpeedRatio, x[0]!), x[x.length - 1]!)
  const th = Math.min(Math.max(pitchDeg, y[0]!), y[nPitch - 1]!)
  const i = cellIndex(x, lam)
  const j = cellIndex(y, th)
  const tx = (lam - x[i]!) / (x[i + 1]! - x[i]!)
  const ty = (th - y[j]!) / (y[j + 1]! - y[j]!)
  const r0 = i * nPitch + j
  const r1 = r0 + nPitch
  const a = surface[r0]! + (surface[r0 + 1]! - surface[r0]!) * ty
  const b = surface[r1]! + (surface[r1 + 1]! - surface[r1]!) * ty
  return a + (b - a) * tx
}
