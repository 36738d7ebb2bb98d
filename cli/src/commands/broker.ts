import type { Command } from 'commander'
import { closeOnSignals } from '../lifecycle.js'
import { parsePort } from '../options.js'

export function registerBrokerCommand(program: Command): void {
  program
    .command('broker')
    .description('run the embedded MQTT 3.1.1 broker (aedes)')
    .option('--port <port>', 'TCP port', parsePort, 1883)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .action(async (opts: { port: number; host: string }) => {
      // Loaded when run, not for `--help`: @edgetwin/cloud brings the router, sinks and their SDKs.
      const { startEmbeddedBroker } = await import('@edgetwin/cloud')
      const broker = await startEmbeddedBroker({ host: opts.host, port: opts.port })
      process.stdout.write(
        `edgetwin broker listening on ${broker.url}\n` +
          `  subscribe: mosquitto_sub -h ${broker.host} -p ${broker.port} -t '#' -v\n` +
          `  publish:   mosquitto_pub -h ${broker.host} -p ${broker.port} -t test -m hello\n`,
      )
      await closeOnSignals([broker]).done
    })
}
