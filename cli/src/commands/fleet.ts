import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  collect,
  createDynamoDbMaintenanceStore,
  createLocalObjectStore,
  createSqliteMaintenanceStore,
  daysInZoneReport,
  defaultZone,
  FleetError,
  loadZoneFile,
  type MaintenanceStore,
  parseDayRange,
  type ReadStats,
  readArchivePositions,
  readEnrichedPositions,
  replacementReport,
} from '@edgetwin/cloud'
import { type CloudConfig, parseConfig, validators } from '@edgetwin/shared-schemas'
import { type Command, InvalidArgumentError, Option } from 'commander'
import { parsePositiveNumber } from '../options.js'
import { formatDaysInZone, formatReplacement, type ReportFormat } from './fleet-format.js'

function loadCloudConfig(file: string | undefined): Readonly<CloudConfig> {
  const raw = file ? JSON.parse(readFileSync(file, 'utf8')) : {}
  return parseConfig(validators.CloudConfig, raw)
}

const at = (config: Readonly<CloudConfig>, p: string) => (p.startsWith('/') ? p : join(config.dataDir, p))

function openMaintenance(config: Readonly<CloudConfig>): MaintenanceStore {
  const m = config.fleet.maintenance
  return m.adapter === 'dynamodb'
    ? createDynamoDbMaintenanceStore({
        tableName: m.tableName,
        cacheTtlMs: 0,
        client: config.awsRegion ? { region: config.awsRegion } : {},
      })
    : createSqliteMaintenanceStore(at(config, m.sqliteFile))
}

function parseBool(value: string): boolean {
  if (value === 'true') return true
  if (value === 'false') return false
  throw new InvalidArgumentError(`must be true or false, got '${value}'`)
}

function parseMileage(value: string): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`must be a number ≥ 0, got '${value}'`)
  return n
}

const configOption = () => new Option('--config <file>', 'cloud config JSON (CloudConfig); defaults apply when absent')

interface ReportOpts {
  config?: string
  from: string
  to: string
  zone?: string
  source: 'archive' | 'objects'
  format: ReportFormat
  timeZone?: string
}

function reportOptions(cmd: Command): Command {
  return cmd
    .addOption(configOption())
    .requiredOption('--from <date>', 'first charging day, YYYY-MM-DD (inclusive)')
    .requiredOption('--to <date>', 'last charging day, YYYY-MM-DD (inclusive)')
    .option('--zone <file>', 'GeoJSON zone (Polygon/MultiPolygon); default: the 2021 ULEZ expansion')
    .addOption(new Option('--source <source>', 'which storage pattern to read').choices(['archive', 'objects']).default('archive'))
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json']).default('table'))
    .option('--time-zone <tz>', 'time zone of the charging day (default: fleet.chargingTimeZone, Europe/London)')
}

async function readRows(config: Readonly<CloudConfig>, source: 'archive' | 'objects', stats: ReadStats) {
  const fleet = config.fleet
  if (source === 'objects') {
    if (fleet.objects.adapter !== 'local')
      throw new FleetError('CLOUD_REPORT_INVALID', 'reports from S3 objects run in Athena; see docs/fleet.md')
    return collect(readEnrichedPositions(createLocalObjectStore(at(config, fleet.objects.root)), fleet.objects.prefix, stats))
  }
  // The local ingest writes its archive objects under <dataDir>/objects (the local "bucket").
  return collect(readArchivePositions(join(config.dataDir, 'objects'), fleet.archivePrefix, stats))
}

/** Rows a report could not read (unparsable, or a sample time that is no real instant) are counted, never fatal. */
function reportSkipped(stats: ReadStats, badTimes: number): void {
  const skipped = stats.skipped + badTimes
  if (skipped > 0) process.stderr.write(`edgetwin: skipped ${skipped} unreadable rows of ${stats.rows + stats.skipped}\n`)
}

/** `edgetwin fleet maintenance set|list` and `edgetwin fleet report days-in-zone|replacement`. */
export function registerFleetCommands(program: Command): void {
  const fleet = program.command('fleet').description('vehicle fleets: maintenance records and zone reports')
  const maintenance = fleet.command('maintenance').description("vehicles' maintenance records (SQLite locally, DynamoDB on AWS)")
  maintenance
    .command('set <deviceId>')
    .description('create or replace a vehicle maintenance record')
    .addOption(configOption())
    .requiredOption('--purchase-date <date>', 'YYYY-MM-DD')
    .requiredOption('--mileage <miles>', 'odometer reading', parseMileage)
    .requiredOption('--meets-emission-standards <bool>', 'true or false', parseBool)
    .action(async (deviceId: string, o: { config?: string; purchaseDate: string; mileage: number; meetsEmissionStandards: boolean }) => {
      const store = openMaintenance(loadCloudConfig(o.config))
      try {
        await store.put({
          DeviceId: deviceId,
          PurchaseDate: o.purchaseDate,
          Mileage: o.mileage,
          MeetsEmissionStandards: o.meetsEmissionStandards,
        })
        process.stdout.write(`maintenance record of ${deviceId} saved\n`)
      } finally {
        await store.close()
      }
    })
  maintenance
    .command('list')
    .description('list every maintenance record')
    .addOption(configOption())
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (o: { config?: string; format: 'table' | 'json' }) => {
      const store = openMaintenance(loadCloudConfig(o.config))
      try {
        const records = await store.list()
        if (o.format === 'json') process.stdout.write(`${JSON.stringify(records, null, 2)}\n`)
        else for (const r of records) process.stdout.write(`${r.DeviceId}\t${r.PurchaseDate}\t${r.Mileage}\t${r.MeetsEmissionStandards}\n`)
      } finally {
        await store.close()
      }
    })

  const report = fleet.command('report').description('zone reports over a date range of charging days')
  reportOptions(report.command('days-in-zone').description('days inside the zone and charges per vehicle'))
    .requiredOption('--fee <amount>', 'daily charge, e.g. 12.50', parsePositiveNumber)
    .action(async (o: ReportOpts & { fee: number }) => {
      const config = loadCloudConfig(o.config)
      const stats: ReadStats = { files: 0, rows: 0, skipped: 0 }
      const rows = await readRows(config, o.source, stats)
      const zone = o.zone ? loadZoneFile(o.zone) : config.fleet.zoneFile ? loadZoneFile(at(config, config.fleet.zoneFile)) : defaultZone()
      const skipped = { count: 0 }
      const result = daysInZoneReport(rows, zone, {
        range: parseDayRange(o.from, o.to),
        dailyFee: o.fee,
        timeZone: o.timeZone ?? config.fleet.chargingTimeZone,
        skipped,
      })
      process.stdout.write(`${formatDaysInZone(result, o.format)}\n`)
      reportSkipped(stats, skipped.count)
    })
  reportOptions(
    report.command('replacement').description('vehicles missing the emission standards, highest mileage per year first'),
  ).action(async (o: ReportOpts) => {
    const config = loadCloudConfig(o.config)
    const stats: ReadStats = { files: 0, rows: 0, skipped: 0 }
    if (o.source !== 'objects')
      process.stderr.write('edgetwin: the replacement report needs maintenance data; reading the enriched objects\n')
    const rows = await collect(
      readEnrichedPositions(createLocalObjectStore(at(config, config.fleet.objects.root)), config.fleet.objects.prefix, stats),
    )
    const zone = o.zone ? loadZoneFile(o.zone) : config.fleet.zoneFile ? loadZoneFile(at(config, config.fleet.zoneFile)) : defaultZone()
    const skipped = { count: 0 }
    const result = replacementReport(rows, zone, {
      range: parseDayRange(o.from, o.to),
      timeZone: o.timeZone ?? config.fleet.chargingTimeZone,
      skipped,
    })
    process.stdout.write(`${formatReplacement(result, o.format)}\n`)
    reportSkipped(stats, skipped.count)
  })
}
