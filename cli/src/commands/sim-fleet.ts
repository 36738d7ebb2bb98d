import { join } from 'node:path'
import { runFleetSimulation } from '@edgetwin/simulator'
import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'
import { pino } from 'pino'
import { parsePositiveInt } from '../options.js'

function parseDate(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)))
    throw new InvalidArgumentError(`must be YYYY-MM-DD, got '${value}'`)
  return value
}

/** `edgetwin sim fleet`: the fleet simulator, one real agent per vehicle, against a running broker. */
export function registerSimFleetCommand(program: Command): void {
  // `sim` is shared with the wind-farm simulator: reuse it when that registration ran first.
  const sim = program.commands.find((c) => c.name() === 'sim') ?? program.command('sim').description('simulators that feed real agents')
  sim
    .command('fleet')
    .description('simulate delivery vehicles for D days in accelerated time, each feeding its own agent')
    .requiredOption('--vehicles <n>', 'number of vehicles (beyond the fleet file, more are generated around its bases)', parsePositiveInt)
    .requiredOption('--days <d>', 'simulated days', parsePositiveInt)
    .requiredOption('--interval <s>', 'seconds between GPS samples', parsePositiveInt)
    .option('--seed <n>', 'random seed', parsePositiveInt, 1)
    .option('--start <date>', 'first simulated day YYYY-MM-DD', parseDate, new Date().toISOString().slice(0, 10))
    .option('--broker <url>', 'MQTT broker URL', 'mqtt://127.0.0.1:1883')
    .option('--fleet-file <file>', 'fleet file: [{"name","base":[lon,lat]}]')
    .option('--data-dir <dir>', "agents' outboxes go under this folder", './.edgetwin/sim-fleet')
    .action(
      async (o: {
        vehicles: number
        days: number
        interval: number
        seed: number
        start: string
        broker: string
        fleetFile?: string
        dataDir: string
      }) => {
        const logger = pino({ level: 'warn' })
        const result = await runFleetSimulation({
          vehicles: o.vehicles,
          days: o.days,
          intervalS: o.interval,
          seed: o.seed,
          start: o.start,
          brokerUrl: o.broker,
          dataDir: join(o.dataDir),
          logger,
          ...(o.fleetFile ? { fleetFile: o.fleetFile } : {}),
          keepGroundTruth: false,
          onProgress: (p) =>
            process.stdout.write(`day ${p.day}/${p.days}: ${p.samples} samples, ${p.accepted} accepted, ${p.filtered} filtered\n`),
        })
        process.stdout.write(
          `${result.vehicles.length} vehicles, ${o.days} days: ${result.samples} samples in ${(result.wallMs / 1000).toFixed(1)} s wall ` +
            `(${Math.round(result.samples / (result.wallMs / 1000))} samples/s), ${result.accepted} accepted, ${result.filtered} filtered, ${result.undelivered} undelivered\n`,
        )
      },
    )
}
