import { readFileSync } from 'node:fs'
import { AwsJobsService, type JobsService, LocalJobsService } from '@edgetwin/cloud'
import type { CreateJobInput, JobAbortCriteria, JobRolloutConfig } from '@edgetwin/shared-schemas'
import { type Command, InvalidArgumentError } from 'commander'
import pino from 'pino'

interface ServiceOpts {
  adapter: 'local' | 'aws'
  broker: string
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

function service(opts: ServiceOpts): JobsService {
  const logger = pino({ level: 'warn' }, process.stderr)
  if (opts.adapter === 'aws') {
    if (!opts.region || !opts.accountId) throw new InvalidArgumentError('--adapter aws needs --region and --account-id')
    return new AwsJobsService({
      region: opts.region,
      accountId: opts.accountId,
      logger,
      ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    })
  }
  return new LocalJobsService({ brokerUrl: opts.broker, logger })
}

function withServiceOptions(cmd: Command): Command {
  return cmd
    .option('--adapter <adapter>', 'local (IoT Jobs topics on the local broker) or aws (AWS IoT Jobs)', 'local')
    .option('--broker <url>', 'broker of the local jobs service', 'mqtt://127.0.0.1:1883')
    .option('--region <region>', 'AWS region (aws adapter)')
    .option('--account-id <id>', 'AWS account owning the things (aws adapter)')
    .option('--endpoint <url>', 'IoT control-plane endpoint override (aws adapter)')
}

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)

export function registerJobsCommands(program: Command): void {
  const jobs = program.command('jobs').description('controller updates as AWS IoT Jobs (local jobs service or AWS IoT)')
  withServiceOptions(
    jobs
      .command('create')
      .description('create a job; with the local adapter this process serves it on the broker until every execution finished')
      .requiredOption('--targets <things>', 'comma-separated thing names', (v) => v.split(',').filter(Boolean))
      .requiredOption('--document <file>', 'job document JSON file')
      .option('--job-id <id>', 'job id (default: controller-update-<time>)')
      .option(
        '--rollout <spec>',
        'constant:<perMinute> | exponential:<base>,<factor>,notified|succeeded:<n>[,max:<perMinute>]',
        parseRollout,
      )
      .option('--abort <spec>', '<FAILED|REJECTED|TIMED_OUT|ALL>:<percent>:<minExecuted> (repeatable)', parseAbort)
      .option('--timeout-minutes <n>', 'in-progress timeout (TIMED_OUT after it)', (v) => Number(v)),
  ).action(
    async (
      opts: ServiceOpts & {
        targets: string[]
        document: string
        jobId?: string
        rollout?: JobRolloutConfig
        abort?: JobAbortCriteria[]
        timeoutMinutes?: number
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
      const svc = service(opts)
      await svc.start()
      try {
        print(await svc.createJob(input))
        if (opts.adapter === 'local') {
          // The local service keeps its jobs in this process's memory: serve the job until it is finished.
          for (;;) {
            const d = await svc.describeJob(input.jobId)
            if (d?.status !== 'IN_PROGRESS') {
              print(d)
              break
            }
            await new Promise((r) => setTimeout(r, 1000))
          }
        }
      } finally {
        await svc.close()
      }
    },
  )
  withServiceOptions(jobs.command('list').description('list jobs')).action(async (opts: ServiceOpts) => {
    const svc = service(opts)
    if (opts.adapter === 'local')
      throw new InvalidArgumentError('the local jobs service keeps jobs in the process that serves them; list works with --adapter aws')
    await svc.start()
    try {
      print(await svc.listJobs())
    } finally {
      await svc.close()
    }
  })
  withServiceOptions(jobs.command('describe <jobId>').description('describe a job and its executions')).action(
    async (jobId: string, opts: ServiceOpts) => {
      const svc = service(opts)
      if (opts.adapter === 'local')
        throw new InvalidArgumentError(
          'the local jobs service keeps jobs in the process that serves them; describe works with --adapter aws',
        )
      await svc.start()
      try {
        const d = await svc.describeJob(jobId)
        if (!d) throw new InvalidArgumentError(`job ${jobId} not found`)
        print(d)
      } finally {
        await svc.close()
      }
    },
  )
}
