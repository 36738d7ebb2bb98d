import type { DispatchConfig } from '@edgetwin/shared-schemas'
import { buildApp, type DispatchDeps } from './app.js'
import type { DispatchApp } from './routes/context.js'

export interface DispatchServer {
  readonly app: DispatchApp
  readonly url: string
  close(): Promise<void>
}

/** Builds the app and listens on `config.host:config.port` (port 0: any free port). */
export async function startDispatchServer(config: DispatchConfig, deps: DispatchDeps): Promise<DispatchServer> {
  const app = await buildApp(config, deps)
  const address = await app.listen({ host: config.host, port: config.port })
  return { app, url: address, close: () => app.close() }
}
