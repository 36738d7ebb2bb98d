import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { startEmbeddedBroker } from '@edgetwin/cloud'
import type { Command } from 'commander'
import { runFleetDemo } from '../demo/fleet.js'
import { runTurbineDemo } from '../demo/turbines.js'
import { closeOnSignals } from '../lifecycle.js'
import { parsePort, parsePositiveInt } from '../options.js'

interface DemoOptions {
  port: number
  vehicles: number
  days: number
  turbineMinutes: number
  fleet: boolean
  turbines: boolean
  keepRunning: boolean
  dataDir: string
}

/** A cloud config file that points the report commands at what the demo wrote. */
function writeCloudConfig(path: string, dataDir: string): void {
  writeFileSync(path, `${JSON.stringify({ dataDir }, null, 2)}\n`)
}

/** `npm start`: the embedded default, end to end — the vehicle flow, then the turbine digital-twin flow. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run the embedded default end to end: broker, cloud, a simulated fleet and a wind farm (what `npm start` runs)')
    .option('--port <port>', 'embedded broker TCP port (0: any free port)', parsePort, 1883)
    .option('--vehicles <n>', 'vehicles in the fleet', parsePositiveInt, 10)
    .option('--days <n>', 'simulated days of deliveries', parsePositiveInt, 7)
    .option('--turbine-minutes <n>', 'virtual minutes of the wind farm', parsePositiveInt, 120)
    .option('--no-fleet', 'skip the vehicle flow')
    .option('--no-turbines', 'skip the turbine flow')
    .option('--keep-running', 'keep the broker running afterwards, until SIGINT/SIGTERM', false)
    .option('--data-dir <dir>', 'where the demo keeps its data (emptied at the start)', '.edgetwin/demo')
    .action(async (opts: DemoOptions) => {
      const out = (line: string) => process.stdout.write(`${line}\n`)
      const broker = await startEmbeddedBroker({ port: opts.port }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE') {
          throw new Error(`port ${opts.port} is in use (another broker?): run with --port 0 or --port <free port>`, { cause: err })
        }
        throw err
      })
      const { shutdown, done } = closeOnSignals([broker])
      try {
        out(`edgetwin: embedded MQTT broker on ${broker.url} — watch it with: mosquitto_sub -p ${broker.port} -t 'dt/edgetwin/#' -v`)
        const started = Date.now()
        const dataDir = resolve(opts.dataDir)
        rmSync(dataDir, { recursive: true, force: true })
        mkdirSync(dataDir, { recursive: true })
        if (opts.fleet) {
          out('\n== vehicles: fleet location analytics (ULEZ) ==')
          const fleetConfig = join(opts.dataDir, 'fleet-cloud.json')
          writeCloudConfig(fleetConfig, join(dataDir, 'fleet', 'cloud'))
          const r = await runFleetDemo({
            brokerUrl: broker.url,
            log: out,
            vehicles: opts.vehicles,
            days: opts.days,
            dataDir: join(dataDir, 'fleet'),
          })
          out(`fleet: the same reports from the command line:`)
          out(
            `  npm run edgetwin -- fleet report days-in-zone --config ${fleetConfig} --from ${r.range.from} --to ${r.range.to} --fee 12.50`,
          )
          out(`  npm run edgetwin -- fleet report replacement --config ${fleetConfig} --from ${r.range.from} --to ${r.range.to}`)
        }
        if (opts.turbines) {
          out('\n== turbines: digital twin (detect → simulate → decide → update) ==')
          const r = await runTurbineDemo({
            brokerUrl: broker.url,
            log: out,
            durationMinutes: opts.turbineMinutes,
            dataDir: join(dataDir, 'turbines'),
          })
          const twinConfig = join(opts.dataDir, 'turbines-cloud.json')
          writeCloudConfig(twinConfig, join(dataDir, 'turbines', 'cloud'))
          const updates = r.decisions.filter((d) => d.decision.action === 'update')
          out(
            `turbines: ${r.decisions.length} decision(s), ${updates.length} update(s); jobs ${
              Object.entries(r.jobExecutions)
                .map(([k, v]) => `${k} ${v}`)
                .join(', ') || 'none'
            }`,
          )
          out(`turbines: the decisions with their provenance: npm run edgetwin -- twin decisions --config ${twinConfig}`)
        }
        out(`\nedgetwin: demo finished in ${((Date.now() - started) / 1000).toFixed(0)} s`)
      } finally {
        if (!opts.keepRunning) await shutdown()
      }
      await done
    })
}
