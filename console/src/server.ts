import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type ConsoleConfig, type ConsoleErrorBody, consoleConfigValidator, parseConfig } from '@edgetwin/shared-schemas'
import swagger from '@fastify/swagger'
import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyBaseLogger, type FastifyError } from 'fastify'
import type { Logger } from 'pino'
import type { ConsoleFastify, RouteContext } from './api/context.js'
import { registerDeviceRoutes } from './api/devices.js'
import { registerFleetRoutes } from './api/fleet.js'
import { registerLiveRoutes } from './api/live.js'
import { registerTurbineRoutes } from './api/turbines.js'
import { registerTwinRoutes } from './api/twin.js'
import { DEFAULT_ASSETS_DIR, ensureAssets } from './assets.js'
import { isLoopbackHost, registerTokenAuth } from './auth.js'
import { CONSOLE_ERROR_STATUS, ConsoleError, isConsoleError } from './errors.js'
import { createLiveHub, type LiveHub } from './live.js'
import type { ConsoleSources } from './sources.js'

export interface ConsoleDeps {
  readonly logger: Logger
  /** The bearer token (read from `config.tokenEnv` by the composition root); required off loopback. */
  readonly token?: string
  readonly assetsDir?: string
  readonly now?: () => Date
}

export interface ConsoleApp {
  readonly app: ConsoleFastify
  readonly live: LiveHub
  readonly config: Readonly<ConsoleConfig>
}

/** Client-side routes of the one-page app: each serves index.html so a deep link reloads into its page. */
export const PAGE_PATHS = ['/', '/fleet', '/turbines', '/twin', '/devices'] as const

const CONTENT_TYPES: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
  'app.js.map': 'application/json',
  'app.css.map': 'application/json',
}

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

function registerErrors(app: ConsoleFastify): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    let statusCode = 500
    let code = 'CONSOLE_INTERNAL'
    let message = 'internal error'
    if (isConsoleError(err)) {
      statusCode = CONSOLE_ERROR_STATUS[err.code]
      code = err.code
      message = err.message
    } else if (err.validation) {
      statusCode = 400
      code = 'CONSOLE_QUERY_INVALID'
      message = `invalid request: ${err.validation
        .slice(0, 5)
        .map((v) => `${err.validationContext ?? ''}${v.instancePath || ''} ${v.message ?? ''}`.trim())
        .join('; ')}`
    } else if ((err as { code?: string }).code === 'CLOUD_REPORT_INVALID') {
      statusCode = 400
      code = 'CONSOLE_QUERY_INVALID'
      message = err.message
    }
    if (statusCode >= 500) request.log.error({ err }, 'console request failed')
    const body: ConsoleErrorBody = { statusCode, code, error: statusCode >= 500 ? 'Internal Server Error' : 'Request Error', message }
    return reply.status(statusCode).send(body)
  })
}

/**
 * Builds the console (routes, live hub, static bundle) without listening; tests use `app.inject()`, the
 * composition root `startConsoleServer`. Refuses a non-loopback bind without a token.
 */
export async function buildConsoleApp(input: unknown, sources: ConsoleSources, deps: ConsoleDeps): Promise<ConsoleApp> {
  const config = parseConfig(consoleConfigValidator, input ?? {})
  if (!isLoopbackHost(config.host) && !deps.token) {
    throw new ConsoleError(
      'CONSOLE_CONFIG_INVALID',
      `console host '${config.host}' is not a loopback address, so a token is required: set environment variable ${config.tokenEnv}`,
    )
  }
  const assetsDir = deps.assetsDir ?? DEFAULT_ASSETS_DIR
  await ensureAssets(assetsDir)
  const now = deps.now ?? (() => new Date())
  // Request lines stay out of the cloud's log at info; failures are logged by the error handler.
  const log = deps.logger.child({ component: 'console' }, { level: deps.logger.isLevelEnabled('warn') ? 'warn' : deps.logger.level })
  // Open live streams never end by themselves: closing the console closes them.
  const app: ConsoleFastify = Fastify({ loggerInstance: log as FastifyBaseLogger, forceCloseConnections: true })
    .withTypeProvider<TypeBoxTypeProvider>()
    .setValidatorCompiler(TypeBoxValidatorCompiler)
  registerErrors(app)
  await app.register(swagger, {
    openapi: {
      info: { title: 'edgetwin console API', version: '0.1.0', description: 'Read-only JSON API of the web console.' },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
    },
    transformObject: (doc) => withoutTypeboxKeys('openapiObject' in doc ? doc.openapiObject : doc.swaggerObject),
  })
  if (deps.token) registerTokenAuth(app, deps.token)
  const live = createLiveHub({ sources, pushIntervalMs: config.pushIntervalMs, logger: log, now })
  const ctx: RouteContext = { sources, config, live, now }
  registerFleetRoutes(app, ctx)
  registerTurbineRoutes(app, ctx)
  registerTwinRoutes(app, ctx)
  registerDeviceRoutes(app, ctx)
  registerLiveRoutes(app, ctx)
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger())

  const indexHtml = await readFile(join(assetsDir, 'index.html'), 'utf8')
  for (const path of PAGE_PATHS) {
    app.get(path, { schema: { hide: true } }, async (_req, reply) => reply.type('text/html; charset=utf-8').send(indexHtml))
  }
  app.get('/assets/:file', { schema: { hide: true } }, async (request, reply) => {
    const file = (request.params as { file: string }).file
    const type = CONTENT_TYPES[file]
    if (!type) throw new ConsoleError('CONSOLE_NOT_FOUND', `no asset '${file}'`)
    return reply
      .type(type)
      .header('cache-control', 'no-cache')
      .send(await readFile(join(assetsDir, file)))
  })
  app.setNotFoundHandler((request, reply) => {
    const body: ConsoleErrorBody = {
      statusCode: 404,
      code: 'CONSOLE_NOT_FOUND',
      error: 'Not Found',
      message: `no route ${request.method} ${request.url.split('?')[0]}`,
    }
    return reply.status(404).send(body)
  })
  app.addHook('onReady', async () => live.start())
  app.addHook('onClose', async () => live.close())
  return { app, live, config }
}

export interface ConsoleServer extends ConsoleApp {
  /** e.g. `http://127.0.0.1:8080/` */
  readonly url: string
  close(): Promise<void>
}

/** Listens on the configured host and port; a port already taken fails at once with CONSOLE_PORT_IN_USE. */
export async function startConsoleServer(input: unknown, sources: ConsoleSources, deps: ConsoleDeps): Promise<ConsoleServer> {
  const built = await buildConsoleApp(input, sources, deps)
  const { app, config } = built
  let address: string
  try {
    address = await app.listen({ host: config.host, port: config.port })
  } catch (err) {
    await app.close()
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new ConsoleError(
        'CONSOLE_PORT_IN_USE',
        `console port ${config.port} on ${config.host} is already in use; choose another with --console-port`,
        { cause: err },
      )
    }
    throw err
  }
  const url = `${address.replace('[::1]', 'localhost')}/`
  return { ...built, url, close: () => app.close() }
}
