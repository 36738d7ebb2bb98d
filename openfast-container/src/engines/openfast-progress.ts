/**
 * OpenFAST writes `Timestep: <t> of <TMax> seconds.` to stdout every `SttsTime` seconds of simulated time (with a
 * carriage return, overwriting the line on a terminal). Returns the fraction done of the last status in `chunk`.
 */
const STATUS = /Timestep:\s*([0-9.Ee+-]+)\s+of\s+([0-9.Ee+-]+)\s+seconds/g

export function parseOpenfastProgress(chunk: string): number | undefined {
  let fraction: number | undefined
  for (const m of chunk.matchAll(STATUS)) {
    const t = Number(m[1])
    const total = Number(m[2])
    if (Number.isFinite(t) && Number.isFinite(total) && total > 0) fraction = Math.min(1, Math.max(0, t / total))
  }
  return fraction
}

/** OpenFAST's last line on success. */
export const OPENFAST_SUCCESS = 'OpenFAST terminated normally'
