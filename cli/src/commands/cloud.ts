import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Command } from 'commander'
import { type Closable, closeOnSignals } from '../lifecycle.js'
import { parsePort, parsePositiveInt } from '../options.js'

function readConfigFile(path: string): unknown {
  try {
    return JSON.parse(readFileSync(resolve(path), 'utf8'))
  } catch (err) {
    throw new Error(`cannot read cloud config ${path}: ${(err as Error).message}`, { cause: err })
  }
}

/** The cloud runtime, loaded when a subcommand runs rather than for `--help` (the AWS SDK, SQLite, aedes, Fastify). */
async function runtime() {
  const [cloud, schemas, { pino }] = await Promise.all([import('@edgetwin/cloud'), import('@edgetwin/shared-schemas'), import('pino')])
  return { ...cloud, parseConfig: schemas.parseConfig, validators: schemas.validators, pino }
}

export function registerCloudCommands(program: Command): void {
  const cloud = program.command('cloud').description('the cloud side: router, sinks and the components that read them')
  cloud
    .command('run')
    .description(
      'the cloud side on a broker: the router (dt/edgetwin/+/+/+, QoS 1, persistent session) into the configured sinks, ' +
        'the fleet consumers (enrichment, archive, geofences), the jobs service (local or AWS IoT) and, when twin.enabled, the twin loop',
    )
    .requiredOption('--config <file>', 'cloud config JSON (shared-schemas CloudConfig)')
    .option('--with-broker', 'also start the embedded MQTT 3.1.1 broker on the port in broker.url')
    .option('--console-host <host>', 'web console address; any but loopback needs EDGETWIN_CONSOLE_TOKEN', '127.0.0.1')
    .option('--console-port <port>', 'web console port; 0 (the default) takes any free one and prints the URL', parsePort, 0)
    .option('--console-basemap <url>', 'XYZ tile URL template for the console map (default: a plain background)')
    .option('--no-console', 'do not serve the web console')
    .action(
      async (opts: {
        config: string
        withBroker?: boolean
        console: boolean
        consoleHost: string
        consolePort: number
        consoleBasemap?: string
      }) => {
        const { createCloud, createJobsService, fleetExtension, parseConfig, pino, startEmbeddedBroker, twinExtension, validators } =
          await runtime()
        const { consoleMount } = await import('@edgetwin/console')
        const input = readConfigFile(opts.config) as Record<string, unknown>
        const components: Closable[] = []
        if (opts.withBroker) {
          const config = parseConfig(validators.CloudConfig, input)
          const url = new URL(config.broker.url)
          const broker = await startEmbeddedBroker({ host: url.hostname, port: Number(url.port || 1883) })
          components.push(broker)
          process.stdout.write(`embedded broker listening on ${broker.url}\n`)
        }
        const config = parseConfig(validators.CloudConfig, input)
        const logger = pino({ level: config.logLevel, redact: ['*.token', '*.password', '*.authorization', '*.secretAccessKey'] })
        const jobs = createJobsService(config, logger.child({ component: 'jobs' }))
        const webConsole = opts.console
          ? consoleMount({
              config: {
                host: opts.consoleHost,
                port: opts.consolePort,
                ...(opts.consoleBasemap ? { basemapUrl: opts.consoleBasemap } : {}),
              },
              jobs,
              onListening: (s) => process.stdout.write(`edgetwin console on ${s.url}\n`),
            })
          : undefined
        // The config loader is the one place that reads the environment (secrets named by the config, e.g. tokenEnv).
        const app = createCloud(input, {
          env: process.env,
          logger,
          extensions: [
            fleetExtension(),
            () => ({ start: () => jobs.start(), close: () => jobs.close() }),
            twinExtension({ jobs, ...(webConsole ? { onReady: webConsole.twinReady } : {}) }),
            ...(webConsole ? [webConsole.extension] : []),
          ],
        })
        try {
          await app.start()
        } catch (err) {
          // A failed start (e.g. the console's port is taken) closes what did start, so the process exits.
          await app.close()
          for (const c of components.reverse()) await c.close()
          throw err
        }
        components.push(app)
        process.stdout.write(
          `edgetwin cloud routing from ${app.config.broker.url}; data in ${app.config.dataDir}; jobs: ${config.jobs.adapter}; ` +
            `twin: ${config.twin.enabled ? `on (${config.twin.schedule})` : 'off'}\n`,
        )
        await closeOnSignals(components).done
      },
    )
  cloud
    .command('dead-letters')
    .description('list the newest dead letters (messages the router refused, with reason and topic)')
    .requiredOption('--config <file>', 'cloud config JSON')
    .option('--limit <n>', 'how many', parsePositiveInt, 20)
    .action(async (opts: { config: string; limit: number }) => {
      const { createEventStore, createLocalEventBus, createLocalIngest, parseConfig, pino, validators } = await runtime()
      const config = parseConfig(validators.CloudConfig, readConfigFile(opts.config))
      const ingest = createLocalIngest({ dataDir: config.dataDir, bus: createLocalEventBus(), logger: pino({ level: 'silent' }) })
      try {
        for (const l of await ingest.deadLetters.list({ limit: opts.limit })) {
          process.stdout.write(`${l.receivedAt}  ${l.reason.padEnd(22)} ${l.topic}  (${l.payloadBytes} B)  ${l.message}\n`)
        }
        // Position events a consumer (enrichment, archive) gave up on after its retries.
        for (const l of createEventStore(ingest.databases.ingest).listDeadLetters(opts.limit)) {
          const at = new Date(l.failedMs).toISOString()
          process.stdout.write(`${at}  EVENT_TARGET_FAILED    target ${l.target} after ${l.attempts} attempts  ${l.error}\n`)
        }
      } finally {
        await ingest.close()
      }
    })
  cloud
    .command('health')
    .description(
      'dead letters of the router and, per event target, deliveries pending and dead letters (JSON); works beside a running cloud',
    )
    .requiredOption('--config <file>', 'cloud config JSON')
    .action(async (opts: { config: string }) => {
      const { createEventStore, createLocalEventBus, createLocalIngest, parseConfig, pino, validators } = await runtime()
      const config = parseConfig(validators.CloudConfig, readConfigFile(opts.config))
      const ingest = createLocalIngest({ dataDir: config.dataDir, bus: createLocalEventBus(), logger: pino({ level: 'silent' }) })
      try {
        const health = {
          router: { deadLetters: (await ingest.deadLetters.count?.()) ?? null },
          events: createEventStore(ingest.databases.ingest).counts(),
        }
        process.stdout.write(`${JSON.stringify(health, null, 2)}\n`)
      } finally {
        await ingest.close()
      }
    })
  cloud
    .command('replay')
    .description(
      'send the position events that consumers dead-lettered back to their targets (EventBridge DLQ redrive); ' +
        'a running cloud delivers them within a second, otherwise at its next start',
    )
    .requiredOption('--config <file>', 'cloud config JSON')
    .option('--target <name>', 'only this target (enrichment, archive, geofence)')
    .option('--limit <n>', 'at most this many', parsePositiveInt)
    .action(async (opts: { config: string; target?: string; limit?: number }) => {
      const { createEventStore, openCloudDatabase, parseConfig, validators } = await runtime()
      const config = parseConfig(validators.CloudConfig, readConfigFile(opts.config))
      const db = openCloudDatabase(join(config.dataDir, 'ingest.db'))
      try {
        const store = createEventStore(db)
        const replayed = store.replay(
          { ...(opts.target ? { target: opts.target } : {}), ...(opts.limit ? { limit: opts.limit } : {}) },
          Date.now(),
        )
        const left = Object.values(store.counts()).reduce((n, c) => n + c.deadLetters, 0)
        process.stdout.write(`replayed ${replayed} dead-lettered event(s) to their targets; ${left} left\n`)
      } finally {
        db.close()
      }
    })
}
