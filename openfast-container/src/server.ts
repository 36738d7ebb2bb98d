import type { DispatchConfig } from '@edgetwin/shared-schemas'
import { buildApp, type DispatchDeps } from './app.js'
import type { DispatchApp } from './routes/context.js'

export interface DispatchServer {
  readonly app: DispatchApp
  readonly url: string
  close(): Promise<void>
}

/** How long a closing server lets requests still in flight finish before it drops their connections. */
export const CLOSE_GRACE_MS = 10_000

/** Builds the app and listens on `config.host:config.port` (port 0: any free port). */
export async function startDispatchServer(config: DispatchConfig, deps: DispatchDeps): Promise<DispatchServer> {
  const app = await buildApp(config, deps)
  const address = await app.listen({ host: config.host, port: config.port })
  return { app, url: address, close: () => closeBounded(app) }
}

/**
 * Closes the app (runs canceled, requests in flight answered) without waiting on clients' keep-alive: Node closes
 * the connections idle when `close()` starts, but one that goes idle a moment later stays open as long as the
 * client keeps it (Fastify announces 72 s), and a closing server would wait for it. Those are closed as they go
 * idle; whatever is still open after CLOSE_GRACE_MS is dropped.
 */
async function closeBounded(app: DispatchApp): Promise<void> {
  const idle = setInterval(() => app.server.closeIdleConnections(), 200)
  const force = setTimeout(() => {
    app.log.warn({ graceMs: CLOSE_GRACE_MS }, 'requests still open at shutdown after the grace period; closing their connections')
    app.server.closeAllConnections()
  }, CLOSE_GRACE_MS)
  try {
    await app.close()
  } finally {
    clearInterval(idle)
    clearTimeout(force)
  }
}
