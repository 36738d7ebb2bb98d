import type { ExecuteRequest, SimulationEngineName } from '@edgetwin/shared-schemas'

/** One run handed to an engine: the run folder exists and is empty except for what the server put there. */
export interface EngineRun {
  readonly id: string
  readonly runDir: string
  readonly request: ExecuteRequest
  /** For a deck run: the folder holding the uploaded deck. */
  readonly deckDir?: string
  /** Fraction 0-1 of simulated time done. */
  onProgress(fraction: number): void
  /** Aborted when the run is canceled; the engine stops its process and rejects with DISPATCH_CANCELED. */
  readonly signal: AbortSignal
}

export interface EngineResult {
  /** The OpenFAST-format `.out` file the run produced (absolute path, inside `runDir`). */
  readonly outFile: string
}

/** The port every simulation engine implements (the real openfast executable, the reduced-order rotor model). */
export interface SimulationEngine {
  readonly name: SimulationEngineName
  readonly version: string
  /** Refuses, before it is queued, a request this engine cannot run (throws a DispatchError). */
  check?(request: ExecuteRequest): void
  run(job: EngineRun): Promise<EngineResult>
}

/** Server-generated file names inside a run folder's `results/`; nothing a client sends names a file. */
export const RESULT_FILES = {
  out: 'simulation.out',
  summary: 'summary.json',
  log: 'engine.log',
} as const
export type ResultFileName = (typeof RESULT_FILES)[keyof typeof RESULT_FILES]
export const RESULT_FILE_NAMES: readonly ResultFileName[] = Object.values(RESULT_FILES)
