import { startEmbeddedBroker } from '@edgetwin/cloud'
import type { Command } from 'commander'
import { closeOnSignals } from '../lifecycle.js'
import { parsePort } from '../options.js'

/** `npm start`: the embedded default, end to end. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run the embedded default: broker and the end-to-end flows (what `npm start` runs)')
    .option('--port <port>', 'broker TCP port', parsePort, 1883)
    .action(async (opts: { port: number }) => {
      const broker = await startEmbeddedBroker({ port: opts.port })
      process.stdout.write(`edgetwin: embedded broker on ${broker.url} (mosquitto_sub -p ${broker.port} -t '#' -v)\n`)
      await closeOnSignals([broker]).done
    })
}
