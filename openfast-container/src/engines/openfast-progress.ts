/**
 * OpenFAST's status line every `SttsTime` seconds of simulated time (NWTC_Num.f90 `SimStatus`, written with a carriage
 * return that overwrites it on a terminal): v4.x prints `Time: <t> of <TMax> seconds. Estimated final completion at
 * hh:mm:ss (in d days).`; v3 and earlier printed `Timestep: <t> of <TMax> seconds.`. Both are parsed.
 */
const STATUS = /\b(?:Timestep|Time):\s*([0-9.Ee+-]+)\s+of\s+([0-9.Ee+-]+)\s+seconds/g

/** The fraction done (0-1) of the last status in `chunk`, or undefined when it holds none. */
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
