import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { AwsJobsService, JOBS_LEASE_TTL_MS, type JobDescription, JobStore, LocalJobsService } from '@edgetwin/cloud'
import {
  type CreateJobInput,
  CreateJobInput as CreateJobInputSchema,
  createValidator,
  type JobAbortCriteria,
  type JobRolloutConfig,
} from '@edgetwin/shared-schemas'
import { type Command, InvalidArgumentError } from 'commander'
import pino from 'pino'
import { closeOnSignals } from '../lifecycle.js'
import { parsePositiveInt } from '../options.js'

const createJobInput = createValidator(CreateJobInputSchema)

interface ServiceOpts {
  adapter: 'local' | 'aws'
  broker: string
  dataDir: string
  region?: string
  accountId?: string
  endpoint?: string
}

/** `constant:<perMinute>` or `exponential:<base>,<factor>,<notified|succeeded>:<n>[,max:<perMinute>]`. */
export function parseRollout(value: string): JobRolloutConfig {
  const constant = /^constant:(\d+)$/.exec(value)
  if (constant) return { maximumPerMinute: Number(constant[1]) }
  const exp = /^exponential:(\d+),([\d.]+),(notified|succeeded):(\d+)(?:,max:(\d+))?$/.exec(value)
  if (!exp)
    throw new InvalidArgumentError(
      `rollout must be constant:<perMinute> or exponential:<base>,<factor>,notified|succeeded:<n>[,max:<perMinute>], got '${value}'`,
    )
  const criteria = exp[3] === 'notified' ? { numberOfNotifiedThings: Number(exp[4]) } : { numberOfSucceededThings: Number(exp[4]) }
  return {
    ...(exp[5] ? { maximumPerMinute: Number(exp[5]) } : {}),
    exponentialRate: { baseRatePerMinute: Number(exp[1]), incrementFactor: Number(exp[2]), rateIncreaseCriteria: criteria },
  }
}

/** `<FAILED|REJECTED|TIMED_OUT|ALL>:<thresholdPercent>:<minExecutedThings>`, repeatable. */
export function parseAbort(value: string, previous: JobAbortCriteria[] = []): JobAbortCriteria[] {
  const m = /^(FAILED|REJECTED|TIMED_OUT|ALL):([\d.]+):(\d+)$/.exec(value)
  if (!m) throw new InvalidArgumentError(`abort must be <FAILED|REJECTED|TIMED_OUT|ALL>:<percent>:<minExecuted>, got '${value}'`)
  const failureType = m[1] as JobAbortCriteria['failureType']
  return [...previous, { failureType, action: 'CANCEL', thresholdPercentage: Number(m[2]), minNumberOfExecutedThings: Number(m[3]) }]
}

const logger = () => pino({ level: 'warn' }, process.stderr)
const dbPathOf = (opts: { dataDir: string }) => join(opts.dataDir, 'jobs.db')

function awsService(opts: ServiceOpts): AwsJobsService {
  if (!opts.region || !opts.accountId) throw new InvalidArgumentError('--adapter aws needs --region and --account-id')
  return new AwsJobsService({
    region: opts.region,
    accountId: opts.accountId,
    logger: logger(),
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
  })
}

/** Reads the local jobs database read-only (WAL: safe while the service writes it). */
function readLocal<T>(opts: ServiceOpts, read: (store: JobStore) => T): T {
  const store = JobStore.openReadOnly(dbPathOf(opts))
  try {
    return read(store)
  } finally {
    store.close()
  }
}

function withServiceOptions(cmd: Command): Command {
  return cmd
    .option('--adapter <adapter>', 'local (the local jobs service database and broker) or aws (AWS IoT Jobs)', 'local')
    .option('--data-dir <dir>', 'local adapter: the cloud dataDir; jobs live in <dir>/jobs.db', './.edgetwin/cloud')
    .option('--broker <url>', 'broker of the local jobs service (jobs serve)', 'mqtt://127.0.0.1:1883')
    .option('--region <region>', 'AWS region (aws adapter)')
    .option('--account-id <id>', 'AWS account owning the things (aws adapter)')
    .option('--endpoint <url>', 'IoT control-plane endpoint override (aws adapter)')
}

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)

/** Local adapter: the job goes into the database, where the running service takes it up on its next tick. */
async function createLocal(opts: ServiceOpts & { wait?: boolean }, input: CreateJobInput): Promise<void> {
  const errors = createJobInput.errors(input)
  if (errors.length > 0)
    throw new InvalidArgumentError(`invalid job: ${errors.map((e) => `${e.path || '(root)'}: ${e.message}`).join('; ')}`)
  const dbPath = dbPathOf(opts)
  const store = JobStore.open(dbPath)
  let servedBy: number | undefined
  try {
    store.submit(input, Date.now())
    servedBy = store.lease(Date.now(), JOBS_LEASE_TTL_MS)?.pid
  } finally {
    store.close()
  }
  print({ jobId: input.jobId, submitted: true, ...(servedBy ? { servedByPid: servedBy } : {}) })
  if (!servedBy) {
    process.stderr.write(`no jobs service is serving ${dbPath}; the job waits there until one starts (edgetwin jobs serve)\n`)
  }
  if (!opts.wait) return
  for (;;) {
    const d = readLocal(opts, (s) => s.view(60_000).describe(input.jobId))
    if (d?.status !== 'IN_PROGRESS') {
      print(d)
      return
    }
    await new Promise((r) => setTimeout(r, 1000))
  }
}

export function registerJobsCommands(program: Command): void {
  const jobs = program
    .command('jobs')
    .description(
      'controller updates as AWS IoT Jobs (local jobs service or AWS IoT). Local: jobs are durable in <data-dir>/jobs.db; ' +
        'one `jobs serve` (or the demo) serves them on the broker, and list/describe/create work from any process',
    )
  jobs
    .command('serve')
    .description(
      'serve the local jobs database on the broker (the IoT Jobs MQTT API) until SIGINT/SIGTERM; restores every job on start and takes up jobs that `jobs create` adds',
    )
    .option('--data-dir <dir>', 'the cloud dataDir; jobs live in <dir>/jobs.db', './.edgetwin/cloud')
    .option('--broker <url>', 'MQTT broker the devices use', 'mqtt://127.0.0.1:1883')
    .option('--tick-ms <ms>', 'how often timeouts, rollout and newly submitted jobs are checked', parsePositiveInt, 1000)
    .action(async (opts: { dataDir: string; broker: string; tickMs: number }) => {
      const svc = new LocalJobsService({ brokerUrl: opts.broker, dbPath: dbPathOf(opts), tickMs: opts.tickMs, logger: logger() })
      await svc.start()
      process.stdout.write(`edgetwin jobs service on ${opts.broker}; jobs in ${dbPathOf(opts)}\n`)
      await closeOnSignals([svc]).done
    })
  withServiceOptions(
    jobs
      .command('create')
      .description(
        'create a job; local adapter: written to <data-dir>/jobs.db, where the running jobs service (jobs serve, the demo) takes it up within one tick',
      )
      .requiredOption('--targets <things>', 'comma-separated thing names', (v) => v.split(',').filter(Boolean))
      .requiredOption('--document <file>', 'job document JSON file')
      .option('--job-id <id>', 'job id (default: controller-update-<time>)')
      .option(
        '--rollout <spec>',
        'constant:<perMinute> | exponential:<base>,<factor>,notified|succeeded:<n>[,max:<perMinute>]',
        parseRollout,
      )
      .option('--abort <spec>', '<FAILED|REJECTED|TIMED_OUT|ALL>:<percent>:<minExecuted> (repeatable)', parseAbort)
      .option('--timeout-minutes <n>', 'in-progress timeout (TIMED_OUT after it)', (v) => Number(v))
      .option('--wait', 'local adapter: follow the job until it is no longer IN_PROGRESS, then describe it'),
  ).action(
    async (
      opts: ServiceOpts & {
        targets: string[]
        document: string
        jobId?: string
        rollout?: JobRolloutConfig
        abort?: JobAbortCriteria[]
        timeoutMinutes?: number
        wait?: boolean
      },
    ) => {
      const input: CreateJobInput = {
        jobId: opts.jobId ?? `controller-update-${Date.now()}`,
        targets: opts.targets,
        document: JSON.parse(readFileSync(opts.document, 'utf8')) as Record<string, unknown>,
        ...(opts.rollout ? { rollout: opts.rollout } : {}),
        ...(opts.abort ? { abortConfig: { criteriaList: opts.abort } } : {}),
        ...(opts.timeoutMinutes ? { inProgressTimeoutInMinutes: opts.timeoutMinutes } : {}),
      }
      if (opts.adapter === 'local') {
        await createLocal(opts, input)
        return
      }
      const svc = awsService(opts)
      await svc.start()
      try {
        print(await svc.createJob(input))
      } finally {
        await svc.close()
      }
    },
  )
  withServiceOptions(jobs.command('list').description('list jobs (local adapter: read-only from <data-dir>/jobs.db)')).action(
    async (opts: ServiceOpts) => {
      if (opts.adapter === 'local') {
        print(
          readLocal(opts, (s) =>
            s
              .view(60_000)
              .list()
              .map(({ jobId, status, createdAt }) => ({ jobId, status, createdAt })),
          ),
        )
        return
      }
      const svc = awsService(opts)
      await svc.start()
      try {
        print(await svc.listJobs())
      } finally {
        await svc.close()
      }
    },
  )
  withServiceOptions(
    jobs.command('describe <jobId>').description('describe a job and its executions (local adapter: read-only from <data-dir>/jobs.db)'),
  ).action(async (jobId: string, opts: ServiceOpts) => {
    let d: JobDescription | undefined
    if (opts.adapter === 'local') {
      d = readLocal(opts, (s) => s.view(60_000).describe(jobId))
    } else {
      const svc = awsService(opts)
      await svc.start()
      try {
        d = await svc.describeJob(jobId)
      } finally {
        await svc.close()
      }
    }
    if (!d) throw new InvalidArgumentError(`job ${jobId} not found`)
    print(d)
  })
}
