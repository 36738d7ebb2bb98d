#!/usr/bin/env node
/**
 * Container entry of the dispatch server (the image runs this, not the whole edgetwin CLI):
 * `node dist/main.js [config.json]`. Tokens come from the environment variable the config names.
 */
import pino from 'pino'
import { loadDispatchConfig } from './config.js'
import { startDispatchServer } from './server.js'

const { config, bearerTokens } = await loadDispatchConfig({ file: process.argv[2] })
const log = pino({ level: config.logLevel, redact: ['req.headers.authorization'] })
const server = await startDispatchServer(config, { bearerTokens, log })
log.info({ url: server.url }, 'dispatch server listening')

let closing = false
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    if (closing) return
    closing = true
    log.info({ signal }, 'shutting down: canceling runs')
    server.close().then(
      () => process.exit(0),
      (err: Error) => {
        log.error({ err }, 'shutdown failed')
        process.exit(1)
      },
    )
  })
}
