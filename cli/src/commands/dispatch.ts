import type { Command } from 'commander'
import { closeOnSignals } from '../lifecycle.js'
import { parsePort } from '../options.js'

interface ServeOptions {
  port?: number
  host?: string
  config?: string
}

/** `edgetwin dispatch serve`: the OpenFAST dispatch server (PUT /execute, GET /status, ... and /docs). */
export function registerDispatchCommands(program: Command): void {
  const dispatch = program.command('dispatch').description('the OpenFAST simulation dispatch server')
  dispatch
    .command('serve')
    .description('serve the dispatch REST API; bearer tokens come from $EDGETWIN_DISPATCH_TOKEN (or auth.tokenEnv)')
    .option('--port <port>', 'TCP port (overrides the config; 0 picks a free one)', parsePort)
    .option('--host <host>', 'address to listen on (overrides the config)')
    .option('--config <file>', 'JSON config file (DispatchConfig)')
    .action(async (opts: ServeOptions) => {
      const overrides: Record<string, unknown> = {}
      if (opts.port !== undefined) overrides.port = opts.port
      if (opts.host !== undefined) overrides.host = opts.host
      // Loaded when the server starts, not for `--help`: Fastify, Swagger UI and the engines.
      const [{ loadDispatchConfig, startDispatchServer }, { pino }] = await Promise.all([
        import('@edgetwin/openfast-container'),
        import('pino'),
      ])
      const { config, bearerTokens } = await loadDispatchConfig({ file: opts.config, overrides })
      const log = pino({ level: config.logLevel, redact: ['req.headers.authorization'] })
      const server = await startDispatchServer(config, { bearerTokens, log })
      process.stdout.write(
        `edgetwin dispatch server listening on ${server.url}\n` +
          `  API docs: ${server.url}/docs\n` +
          `  try:      curl -H "Authorization: Bearer $${config.auth.tokenEnv}" ${server.url}/status\n`,
      )
      await closeOnSignals([server]).done
    })
}
