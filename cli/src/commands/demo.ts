import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Command } from 'commander'
import { createProgress } from '../demo/progress.js'
import { type Closable, closeOnSignals } from '../lifecycle.js'
import { parsePort, parsePositiveInt } from '../options.js'

interface DemoOptions {
  port: number
  vehicles: number
  days: number
  turbineMinutes: number
  fleet: boolean
  turbines: boolean
  exit: boolean
  dataDir: string
  consolePort: number
}

/** The ULEZ daily charge for a non-compliant car or van (Transport for London, since 2019). */
const DAILY_FEE_GBP = 12.5

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
    .option('--console-port <port>', 'web console port once the flows are done (0: any free port)', parsePort, 8080)
    .option('--exit', 'stop the broker and exit once the flows have finished (otherwise the broker keeps running until Ctrl-C)')
    .option('--data-dir <dir>', 'where the demo keeps its data (emptied at the start)', '.edgetwin/demo')
    .action(async (opts: DemoOptions) => {
      const progress = createProgress({ output: process.stdout })
      const out = (line: string) => progress.log(line)
      out('edgetwin demo: loading the broker, the cloud, the agents and the simulators…')
      const loadingStarted = Date.now()
      // Imported here so the first line above appears before the heavy modules load.
      const [{ startEmbeddedBroker }, { runFleetDemo }, { runTurbineDemo, episodeRate }, { formatDaysInZone }] = await Promise.all([
        import('@edgetwin/cloud'),
        import('../demo/fleet.js'),
        import('../demo/turbines.js'),
        import('./fleet-format.js'),
      ])
      // A taken port rejects with CLOUD_PORT_IN_USE naming the port; the broker leaves nothing running then.
      const broker = await startEmbeddedBroker({ port: opts.port }).catch((err: unknown) => {
        progress.close()
        throw err
      })
      const running: Closable[] = [broker, { close: async () => progress.close() }]
      const { shutdown, done } = closeOnSignals(running)
      try {
        out(`edgetwin: embedded MQTT broker on ${broker.url} — watch it with: mosquitto_sub -p ${broker.port} -t 'dt/edgetwin/#' -v`)
        const dataDir = resolve(opts.dataDir)
        const clearing = Date.now()
        rmSync(dataDir, { recursive: true, force: true })
        mkdirSync(dataDir, { recursive: true })
        // The demo's own time starts here: loading code and clearing the previous run's data are reported apart.
        const started = Date.now()
        out(
          `  (loading took ${((clearing - loadingStarted) / 1000).toFixed(1)} s, clearing ${opts.dataDir} ${((started - clearing) / 1000).toFixed(1)} s)`,
        )
        const summary: string[] = []
        const flowSeconds: string[] = []
        if (opts.turbines) {
          out('\n== turbines: digital twin (detect → simulate → decide → update) ==')
          progress.task('turbines')
          const flowStarted = Date.now()
          const r = await runTurbineDemo({
            brokerUrl: broker.url,
            log: out,
            progress: (detail, fraction) => progress.update(detail, fraction),
            durationMinutes: opts.turbineMinutes,
            dataDir: join(dataDir, 'turbines'),
          })
          flowSeconds.push(`turbines ${((Date.now() - flowStarted) / 1000).toFixed(0)} s`)
          const twinConfig = join(opts.dataDir, 'turbines-cloud.json')
          writeCloudConfig(twinConfig, join(dataDir, 'turbines', 'cloud'))
          const updates = r.decisions.filter((d) => d.decision.action === 'update')
          const jobs = Object.entries(r.jobExecutions).map(([k, v]) => `${k} ${v}`)
          summary.push(
            `turbines: ${r.decisions.length} decision(s), ${updates.length} update(s), jobs: ${jobs.join(', ') || 'none'}; ` +
              `${r.anomalousTurbine} over-speed episodes per 10 min ${episodeRate(r.episodesPer10MinBefore, 'run too short')} → ${episodeRate(r.episodesPer10MinAfter, 'no update in force')}`,
            `  decisions with their provenance: npm run edgetwin -- twin decisions --config ${twinConfig}`,
          )
        }
        if (opts.fleet) {
          out('\n== vehicles: fleet location analytics (ULEZ) ==')
          const fleetConfig = join(opts.dataDir, 'fleet-cloud.json')
          writeCloudConfig(fleetConfig, join(dataDir, 'fleet', 'cloud'))
          progress.task('vehicles')
          const flowStarted = Date.now()
          const r = await runFleetDemo({
            brokerUrl: broker.url,
            log: out,
            progress: (detail, fraction) => progress.update(detail, fraction),
            vehicles: opts.vehicles,
            days: opts.days,
            dailyFee: DAILY_FEE_GBP,
            dataDir: join(dataDir, 'fleet'),
          })
          flowSeconds.push(`vehicles ${((Date.now() - flowStarted) / 1000).toFixed(0)} s`)
          summary.push(
            `fleet: ${opts.vehicles} vehicles, ${opts.days} simulated days; the same reports from the command line:`,
            `  npm run edgetwin -- fleet report days-in-zone --config ${fleetConfig} --from ${r.range.from} --to ${r.range.to} --fee ${DAILY_FEE_GBP.toFixed(2)}`,
            `  npm run edgetwin -- fleet report replacement --config ${fleetConfig} --from ${r.range.from} --to ${r.range.to}`,
            '',
            `Days inside the ULEZ (2021 expansion) per vehicle, ${r.range.from} to ${r.range.to}, London charging days, £${DAILY_FEE_GBP.toFixed(2)} a day:`,
            formatDaysInZone(r.report, 'table'),
          )
        }
        progress.close()
        out(`\n== edgetwin demo finished in ${((Date.now() - started) / 1000).toFixed(0)} s (${flowSeconds.join(', ')}) ==`)
        for (const line of summary) out(line)
        if (!opts.exit) {
          // The web console over what the flows stored; new positions on the broker still reach its map.
          const { startStoredConsole } = await import('@edgetwin/console')
          const web = await startStoredConsole({
            brokerUrl: broker.url,
            fleetDataDir: join(dataDir, 'fleet', 'cloud'),
            turbinesDataDir: join(dataDir, 'turbines', 'cloud'),
            logger: (await import('pino')).pino({ level: 'warn' }),
            config: { port: opts.consolePort },
          })
          running.push(web)
          out(`\nThe web console: ${web.url}`)
          out(
            `\nThe broker is still running on ${broker.url}: mosquitto_sub -p ${broker.port} -t '#' -v / mosquitto_pub -p ${broker.port} -t test -m hello. Ctrl-C stops it.`,
          )
        }
      } catch (err) {
        progress.close()
        await shutdown()
        throw err
      }
      if (opts.exit) await shutdown()
      await done
    })
}
