export type {
  DeckSimulationRequest,
  DeckUploadResponse,
  DispatchConfig,
  DispatchErrorResponse,
  ExecuteRequest,
  ExecuteResponse,
  SimulationRequest,
  SimulationResults,
  SimulationState,
  SimulationStatus,
  SimulationStatusList,
  SimulationSummary,
  UploadResultsRequest,
  UploadResultsResponse,
} from '@edgetwin/shared-schemas'
export { buildApp, DEFAULT_TEMPLATE_DECK_DIR, type DispatchDeps } from './app.js'
export { type LoadedDispatchConfig, loadDispatchConfig, parseDispatchConfig, RESULTS_PREFIX } from './config.js'
export { type DeckFileKind, type DeckReference, type DeckWalk, walkDeck } from './deck/deck-walk.js'
export { type InputFileFormat, readInputValue, setInputValues } from './deck/input-file.js'
export { prepareParametricDeck, prepareUploadedDeck } from './deck/prepare-deck.js'
export { type EngineResult, type EngineRun, RESULT_FILES, type SimulationEngine } from './engines/engine.js'
export { createOpenfastEngine, type OpenfastEngineOptions } from './engines/openfast-engine.js'
export { parseOpenfastProgress } from './engines/openfast-progress.js'
export { estimateOutputBytes, type OutputShape } from './engines/output-estimate.js'
export { createRotorModelEngine } from './engines/rotor-model-engine.js'
export { detectSandbox, type Sandbox, type SandboxOptions } from './engines/sandbox.js'
export { DispatchError, type DispatchErrorCode, isDispatchError } from './errors.js'
export { summarizeOutFile } from './postprocess.js'
export type { DispatchApp } from './routes/context.js'
export { type DispatchServer, startDispatchServer } from './server.js'
export { createLocalObjectStore, type ObjectStore } from './store/object-store.js'
export { objectStoreFromConfig } from './store/object-store-factory.js'
export { createS3ObjectStore } from './store/s3-object-store.js'
