import type { Command } from 'commander'
import { closeOnSignals } from '../lifecycle.js'
import { registerAgentProvisionCommand } from './agent-provision.js'

interface RunOptions {
  config: string
  exitWhenDrained?: boolean
}

const DRAIN_POLL_MS = 100

/** `edgetwin agent run --config agent.json`: the device agent, closed gracefully on SIGTERM/SIGINT. */
export function registerAgentCommands(program: Command): void {
  const agentCmd = program.command('agent').description('the device agent: durable store-and-forward over MQTT')
  agentCmd
    .command('run')
    .description('run the agent; with `source.ndjson` in the config, feed it NDJSON lines {"stream","record"} from a file or - (stdin)')
    .requiredOption('--config <file>', 'agent configuration (JSON, validated against AgentConfig)')
    .option('--exit-when-drained', 'once the NDJSON source has ended and the outbox is empty, close and exit')
    .action(async (opts: RunOptions) => {
      // Loaded here, not at the top: `agent run --help` must not pay for SQLite, MQTT and the schemas.
      const { createAgent, createAgentLogger, loadAgentConfigFile, runNdjsonSource } = await import('@edgetwin/agent')
      const config = loadAgentConfigFile(opts.config)
      const logger = createAgentLogger(config.logLevel, config.deviceId)
      const agent = createAgent(config, { logger })
      await agent.start()
      const abort = new AbortController()
      // Closed in reverse order: the source stops feeding first, then the agent flushes and disconnects.
      const lifecycle = closeOnSignals([agent, { close: async () => abort.abort() }], (m) => logger.info(m))
      logger.info({ dataDir: config.dataDir, broker: config.broker.url }, 'agent running')
      if (config.source) {
        const result = await runNdjsonSource({
          path: config.source.ndjson,
          accept: (stream, record) => agent.accept(stream as never, record),
          logger: logger.child({ component: 'ndjson' }),
          signal: abort.signal,
        })
        logger.info(result, 'ndjson source ended')
        if (opts.exitWhenDrained) {
          while (!abort.signal.aborted && agent.health().queueDepth > 0) await new Promise((r) => setTimeout(r, DRAIN_POLL_MS))
          await lifecycle.shutdown()
        }
      }
      await lifecycle.done
      // aws-crt keeps the process alive after its MQTT 5 client is closed (awslabs/aws-crt-nodejs#600).
      if (config.broker.transport === 'aws-iot-sdk') process.exit(process.exitCode ?? 0)
    })
  registerAgentProvisionCommand(agentCmd)
}
