import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInProcessRunner, dispatchClientFromConfig, ProvenanceStore, type ReplayReport, replayDecision } from '@edgetwin/cloud'
import { type CloudConfig, parseConfig, validators } from '@edgetwin/shared-schemas'
import { type Command, InvalidArgumentError } from 'commander'
import { parsePositiveInt } from '../options.js'

function cloudConfig(configPath: string | undefined): CloudConfig {
  return parseConfig(validators.CloudConfig, configPath ? JSON.parse(readFileSync(configPath, 'utf8')) : {})
}

function cloudDataDir(configPath: string | undefined): string {
  return cloudConfig(configPath).dataDir
}

const formatOption = (v: string) => {
  if (v !== 'table' && v !== 'json') throw new InvalidArgumentError(`format must be table or json, got '${v}'`)
  return v
}

const fmt = (x: number | undefined, digits: number) => (x === undefined ? '-' : Number.isNaN(x) ? 'NaN' : x.toFixed(digits))

function printReplay(report: ReplayReport): void {
  const { recorded, replayed } = report
  const line = (label: string, d: { action: string; candidate?: string; engineVersion: string }) =>
    `${label}: ${d.action.toUpperCase()}${d.candidate ? ` ${d.candidate}` : ''} (engine ${d.engineVersion})\n`
  process.stdout.write(
    `decision ${report.decisionId}\n${line('recorded', recorded)}${line('replayed', replayed)}` +
      `inputs: ${report.inputsIntact ? 'intact (they hash to the recorded inputsHash)' : 'ALTERED (they no longer hash to the recorded inputsHash)'}\n` +
      'controller                                  seeds   exceedances   mean power kW          max rotor rpm\n',
  )
  for (const c of report.controllers) {
    const r = c.recorded
    const p = c.replayed
    process.stdout.write(
      `${c.name.padEnd(42)}  ${`${p.seedsFinished}/${p.seedsExpected}`.padEnd(6)}  ${`${r?.overspeedExceedances ?? '-'} → ${p.overspeedExceedances}`.padEnd(12)}  ` +
        `${`${fmt(r?.meanPowerKw, 1)} → ${fmt(p.meanPowerKw, 1)}`.padEnd(21)}  ${fmt(r?.maxRotorSpeedRpm, 3)} → ${fmt(p.maxRotorSpeedRpm, 3)}\n`,
    )
  }
  process.stdout.write(
    report.same
      ? `SAME: the replay takes the same decision with the same figures: ${replayed.reason}\n`
      : `DIFFERENT:\n${report.differences.map((d) => `  - ${d}`).join('\n')}\n`,
  )
}

export function registerTwinCommands(program: Command): void {
  const twin = program.command('twin').description('the turbine digital-twin loop')
  twin
    .command('decisions')
    .description('list the twin decisions with their provenance, newest first')
    .option('--config <file>', 'cloud configuration file (for its dataDir)')
    .option('--data-dir <dir>', 'cloud data directory (overrides the configuration)')
    .option('--device <id>', 'only this turbine')
    .option('--limit <n>', 'at most this many', parsePositiveInt, 20)
    .option('--format <format>', 'table or json', formatOption, 'table')
    .action(async (opts: { config?: string; dataDir?: string; device?: string; limit: number; format: 'table' | 'json' }) => {
      const path = join(opts.dataDir ?? cloudDataDir(opts.config), 'twin.db')
      if (!existsSync(path)) {
        process.stdout.write(opts.format === 'json' ? '[]\n' : `no twin decisions yet (${path} does not exist)\n`)
        return
      }
      const store = new ProvenanceStore(path)
      try {
        const records = await store.list({ limit: opts.limit, ...(opts.device ? { deviceId: opts.device } : {}) })
        if (opts.format === 'json') {
          process.stdout.write(`${JSON.stringify(records, null, 2)}\n`)
          return
        }
        for (const r of records) {
          const c = r.conditions as { meanWindSpeedMps?: number; turbulenceIntensity?: number; overspeedEpisodes?: number }
          const aggregates = (r.results as { aggregates?: Array<{ name: string; seedsFinished?: number; seedsExpected?: number }> } | null)
            ?.aggregates
          const seeds = aggregates?.every((a) => a.seedsFinished !== undefined)
            ? `  seeds finished: ${aggregates.map((a) => `${a.name} ${a.seedsFinished}/${a.seedsExpected}`).join(', ')}\n`
            : ''
          const action = r.outcome ? `OUTCOME ${r.outcome.status}` : r.decision.action.toUpperCase()
          process.stdout.write(
            `${r.createdAt}  ${r.id}  ${r.deviceId}  ${action}${r.decision.candidate ? ` ${r.decision.candidate}` : ''}` +
              `${r.jobId ? `  job ${r.jobId}` : ''}\n` +
              seeds +
              (c.meanWindSpeedMps !== undefined
                ? `  conditions: wind ${c.meanWindSpeedMps.toFixed(1)} m/s, TI ${(c.turbulenceIntensity ?? 0).toFixed(3)}, ${c.overspeedEpisodes} over-speed episodes\n`
                : '') +
              `  engine ${r.engine} ${r.engineVersion}, seeds ${r.seeds.join(',')}, inputs ${r.inputsHash.slice(0, 16)}\n` +
              `  ${r.decision.reason}\n`,
          )
        }
        if (records.length === 0) process.stdout.write('no twin decisions yet\n')
      } finally {
        store.close()
      }
    })
  twin
    .command('replay')
    .description('re-run a recorded decision from the inputs it stored and show whether it comes out the same')
    .argument('<decisionId>', 'the record id (also the decisionId of the job document sent for it)')
    .option('--config <file>', 'cloud configuration file (dataDir; twin.dispatch for the server, its token variable and limits)')
    .option('--data-dir <dir>', 'cloud data directory (overrides the configuration)')
    .option('--dispatch-url <url>', 'dispatch server to run the simulations on (default: twin.dispatch.url)')
    .option('--in-process', 'run the rotor-model engine in this process instead of on a dispatch server')
    .option('--format <format>', 'table or json', formatOption, 'table')
    .action(
      async (
        decisionId: string,
        opts: { config?: string; dataDir?: string; dispatchUrl?: string; inProcess?: boolean; format: 'table' | 'json' },
      ) => {
        const config = cloudConfig(opts.config)
        const path = join(opts.dataDir ?? config.dataDir, 'twin.db')
        if (!existsSync(path)) throw new InvalidArgumentError(`no twin decisions at ${path}`)
        const store = new ProvenanceStore(path)
        let record: unknown
        try {
          record = store.get(decisionId)
        } finally {
          store.close()
        }
        if (!record) throw new InvalidArgumentError(`decisionId '${decisionId}' is not in ${path}`)
        const { dispatch } = config.twin
        const token = process.env[dispatch.tokenEnv]
        const runner = opts.inProcess
          ? createInProcessRunner()
          : dispatchClientFromConfig(dispatch, { ...(opts.dispatchUrl ? { baseUrl: opts.dispatchUrl } : {}), ...(token ? { token } : {}) })
        const report = await replayDecision(record, runner)
        if (opts.format === 'json') process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
        else printReplay(report)
        if (!report.same) process.exitCode = 1
      },
    )
}
