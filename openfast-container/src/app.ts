import { availableParallelism } from 'node:os'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { DispatchConfig, ExecuteRequest, SimulationEngineName } from '@edgetwin/shared-schemas'
import { OUTPUT_CHANNELS } from '@edgetwin/turbine-model'
import multipart from '@fastify/multipart'
import rateLimit from '@fastify/rate-limit'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyBaseLogger } from 'fastify'
import pino, { type Logger } from 'pino'
import { checkTokenStrength, registerBearerAuth } from './auth.js'
import type { SimulationEngine } from './engines/engine.js'
import { createOpenfastEngine } from './engines/openfast-engine.js'
import { checkOutputSize, type OutputShape, templateOutputShape } from './engines/output-estimate.js'
import { createRotorModelEngine } from './engines/rotor-model-engine.js'
import { detectSandbox } from './engines/sandbox.js'
import { registerErrorHandling } from './error-handler.js'
import { DispatchError } from './errors.js'
import type { DispatchApp } from './routes/context.js'
import { registerDeckRoutes } from './routes/decks.js'
import { registerHealthRoute } from './routes/health.js'
import { registerResultRoutes } from './routes/results.js'
import { registerSimulationRoutes } from './routes/simulations.js'
import { DeckStore } from './store/deck-store.js'
import type { ObjectStore } from './store/object-store.js'
import { objectStoreFromConfig } from './store/object-store-factory.js'
import { SimulationManager } from './store/simulation-manager.js'

/** TypeBox 1.x marks schemas with `~kind`/`~optional` keys; they mean nothing to an OpenAPI reader. */
function withoutTypeboxKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutTypeboxKeys) as T
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => !k.startsWith('~'))
      .map(([k, v]) => [k, withoutTypeboxKeys(v)]),
  ) as T
}

/** The NREL 5-MW deck shipped in the package (`openfast-deck/`, beside `src/` and `dist/`). */
export const DEFAULT_TEMPLATE_DECK_DIR = fileURLToPath(new URL('../openfast-deck/', import.meta.url))

/** The rate limit's window: `limits.rateLimitPerMinute` requests per client in it. */
const RATE_LIMIT_WINDOW_MS = 60_000

export interface DispatchDeps {
  /** Accepted bearer tokens (from the environment, via the config loader); required unless auth is off. */
  readonly bearerTokens: readonly string[]
  readonly log?: Logger
  /** Default: the openfast and rotor-model engines built from the config. */
  readonly engines?: readonly SimulationEngine[]
  /** Default: from `objectStore` in the config (a local folder unless it says s3). */
  readonly objectStore?: ObjectStore
  readonly now?: () => Date
}

async function defaultEngines(config: DispatchConfig, log: Logger): Promise<SimulationEngine[]> {
  const timeoutMs = config.limits.runTimeoutS * 1000
  const sandbox = await detectSandbox(
    {
      ...config.openfast.sandbox,
      // Room beside the .out for OpenFAST's summary and echo files; the .out itself is watched against maxOutputBytes.
      fileSizeBytes: config.limits.maxOutputBytes * 2,
      cpuSeconds: config.limits.runTimeoutS + 60,
    },
    log,
  )
  return [
    createOpenfastEngine({
      executable: config.openfast.executable,
      version: config.openfast.version,
      templateDeckDir: templateDeckDir(config),
      entryFile: config.openfast.entryFile,
      controllerLibraryPath: config.openfast.controllerLibraryPath,
      timeoutMs,
      killGraceMs: config.limits.killGraceMs,
      maxOutputBytes: config.limits.maxOutputBytes,
      sandbox,
    }),
    createRotorModelEngine({
      outputDtS: config.rotorModel.outputDtS,
      timeoutMs,
      killGraceMs: config.limits.killGraceMs,
      calibrationFile: config.rotorModel.calibrationFile,
    }),
  ]
}

function templateDeckDir(config: DispatchConfig): string {
  return config.openfast.templateDeckDir ?? DEFAULT_TEMPLATE_DECK_DIR
}

/** The model's default integration step (s): `runSimulation` uses 0.01 s unless told. */
const ROTOR_MODEL_DEFAULT_DT_S = 0.01

/** The `.out` size check of parametric requests, per engine (`limits.maxOutputBytes`). */
async function outputSizeCheck(config: DispatchConfig): Promise<(request: ExecuteRequest) => void> {
  const shapes: Record<SimulationEngineName, OutputShape> = {
    'rotor-model': { channels: OUTPUT_CHANNELS.length, dtS: ROTOR_MODEL_DEFAULT_DT_S, outputDtS: config.rotorModel.outputDtS },
    openfast: await templateOutputShape(templateDeckDir(config), config.openfast.entryFile),
  }
  return (request) => checkOutputSize(request, shapes[request.engine], config.limits.maxOutputBytes)
}

/**
 * Builds the dispatch server without listening (tests use `app.inject()`; `startDispatchServer` listens).
 * Closing the app cancels every run.
 */
export async function buildApp(config: DispatchConfig, deps: DispatchDeps): Promise<DispatchApp> {
  if (config.auth.enabled && deps.bearerTokens.length === 0) {
    throw new DispatchError(
      'DISPATCH_CONFIG_INVALID',
      `authentication is on but no bearer token is set (environment variable ${config.auth.tokenEnv})`,
    )
  }
  if (config.auth.enabled) checkTokenStrength(deps.bearerTokens, config.auth.tokenEnv)
  const log = deps.log ?? pino({ level: config.logLevel, redact: ['req.headers.authorization'] })
  const dataDir = resolve(config.dataDir)
  const engines = deps.engines ?? (await defaultEngines(config, log))
  const manager = new SimulationManager({
    engines: new Map<SimulationEngineName, SimulationEngine>(engines.map((e) => [e.name, e])),
    runsDir: resolve(dataDir, 'runs'),
    deckDir: (id) => decks.dir(id),
    maxConcurrentRuns: config.limits.maxConcurrentRuns ?? availableParallelism(),
    maxQueuedRuns: config.limits.maxQueuedRuns,
    checkRequest: await outputSizeCheck(config),
    log,
    now: deps.now,
  })
  const decks = new DeckStore({
    decksDir: resolve(dataDir, 'decks'),
    maxFiles: config.limits.maxDeckFiles,
    maxTotalBytes: config.limits.uploadLimitBytes,
  })
  const objectStore = deps.objectStore ?? objectStoreFromConfig({ ...config, dataDir })

  const app: DispatchApp = Fastify({ loggerInstance: log as FastifyBaseLogger, bodyLimit: config.limits.bodyLimitBytes })
    .withTypeProvider<TypeBoxTypeProvider>()
    .setValidatorCompiler(TypeBoxValidatorCompiler)
  registerErrorHandling(app)
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'edgetwin OpenFAST dispatch server',
        version: '0.1.0',
        description: 'Dispatches OpenFAST and rotor-model simulations.',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
    },
    transformObject: (doc) => withoutTypeboxKeys('openapiObject' in doc ? doc.openapiObject : doc.swaggerObject),
  })
  // Expanded, so the page shows every operation with its request and response schemas without clicks.
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'full', deepLinking: false } })
  // One global onRequest hook, added before authentication's: every request is counted per client (token-less ones,
  // failures and unknown routes too) except /healthz, which a load balancer must always reach.
  await app.register(rateLimit, {
    global: false,
    allowList: (request) => request.routeOptions.url === '/healthz',
    max: config.limits.rateLimitPerMinute,
    timeWindow: RATE_LIMIT_WINDOW_MS,
    errorResponseBuilder: (_req, context) =>
      new DispatchError(
        'DISPATCH_RATE_LIMITED',
        `more than ${context.max} requests from this client in ${RATE_LIMIT_WINDOW_MS / 1000} s; retry after ${Math.ceil(context.ttl / 1000)} s (Retry-After)`,
      ),
  })
  app.addHook('onRequest', app.rateLimit())
  // preservePath: keep the client's full file name so it is checked, not silently cut to its last segment.
  await app.register(multipart, { preservePath: true, limits: { fileSize: config.limits.uploadLimitBytes } })
  if (config.auth.enabled) registerBearerAuth(app, deps.bearerTokens)
  else log.warn('bearer-token authentication is OFF (auth.enabled = false): local development only')

  const ctx = {
    manager,
    decks,
    objectStore,
    objectPrefix: config.objectStore.prefix,
    engines,
    uploadLimitBytes: config.limits.uploadLimitBytes,
    maxDeckFiles: config.limits.maxDeckFiles,
    maxOutputBytes: config.limits.maxOutputBytes,
  }
  registerHealthRoute(app, ctx)
  registerSimulationRoutes(app, ctx)
  registerResultRoutes(app, ctx)
  registerDeckRoutes(app, ctx)
  // Retention: finished runs' folders are deleted runsMaxAgeS after they finished, uploaded decks that long after their
  // upload unless a queued or running run needs them (checked every sweepIntervalS).
  const maxAgeMs = config.retention.runsMaxAgeS * 1000
  const sweep = async () => {
    await manager.sweep(maxAgeMs)
    const cutoffMs = (deps.now?.() ?? new Date()).getTime() - maxAgeMs
    const decksDeleted = await decks.sweep(cutoffMs, manager.decksInUse())
    if (decksDeleted.length > 0) log.info({ deleted: decksDeleted.length }, 'expired decks deleted')
  }
  const sweeper = setInterval(() => {
    sweep().catch((err: Error) => log.warn({ err }, 'retention sweep failed'))
  }, config.retention.sweepIntervalS * 1000)
  sweeper.unref()
  app.addHook('onClose', async () => {
    clearInterval(sweeper)
    await manager.close()
  })
  return app
}
