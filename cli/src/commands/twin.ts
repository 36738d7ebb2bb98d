import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ProvenanceStore } from '@edgetwin/cloud'
import { parseConfig, validators } from '@edgetwin/shared-schemas'
import { type Command, InvalidArgumentError } from 'commander'
import { parsePositiveInt } from '../options.js'

function cloudDataDir(configPath: string | undefined): string {
  if (!configPath) return parseConfig(validators.CloudConfig, {}).dataDir
  return parseConfig(validators.CloudConfig, JSON.parse(readFileSync(configPath, 'utf8'))).dataDir
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
    .option(
      '--format <format>',
      'table or json',
      (v: string) => {
        if (v !== 'table' && v !== 'json') throw new InvalidArgumentError(`format must be table or json, got '${v}'`)
        return v
      },
      'table',
    )
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
          process.stdout.write(
            `${r.createdAt}  ${r.deviceId}  ${r.decision.action.toUpperCase()}${r.decision.candidate ? ` ${r.decision.candidate}` : ''}` +
              `${r.jobId ? `  job ${r.jobId}` : ''}\n` +
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
}
