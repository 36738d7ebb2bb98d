import {
  CancelJobCommand,
  CreateJobCommand,
  DescribeJobCommand,
  IoTClient,
  type IoTClientConfig,
  ListJobExecutionsForJobCommand,
  ListJobsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-iot'
import {
  type CreateJobInput,
  CreateJobInput as CreateJobInputSchema,
  createValidator,
  type JobExecutionStatus,
} from '@edgetwin/shared-schemas'
import type { Logger } from 'pino'
import { CloudError } from '../errors.js'
import { arnPartition } from './arn-partition.js'
import type { CancelJobOptions, JobDescription, JobStatus, JobSummary, JobsService } from './jobs-service.js'

const createJobInput = createValidator(CreateJobInputSchema)

export interface AwsJobsServiceOptions {
  readonly region: string
  /** Account that owns the things: targets become `arn:<partition>:iot:<region>:<accountId>:thing/<name>`. */
  readonly accountId: string
  readonly logger: Logger
  /** Control-plane endpoint override (tests, VPC endpoints). */
  readonly endpoint?: string
  readonly clientConfig?: IoTClientConfig
}

const n = (v: number | undefined) => v ?? 0

/** AWS IoT Jobs through `@aws-sdk/client-iot` (CreateJob, DescribeJob, ListJobs, CancelJob). */
export class AwsJobsService implements JobsService {
  private readonly client: IoTClient

  constructor(private readonly options: AwsJobsServiceOptions) {
    this.client = new IoTClient({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...options.clientConfig,
    })
  }

  async start(): Promise<void> {}

  async close(): Promise<void> {
    this.client.destroy()
  }

  thingArn(thingName: string): string {
    return `arn:${arnPartition(this.options.region)}:iot:${this.options.region}:${this.options.accountId}:thing/${thingName}`
  }

  async createJob(input: CreateJobInput): Promise<{ jobId: string; jobArn?: string }> {
    const errors = createJobInput.errors(input)
    if (errors.length > 0) {
      throw new CloudError('CLOUD_JOBS_INVALID', `invalid job: ${errors.map((e) => `${e.path || '(root)'}: ${e.message}`).join('; ')}`)
    }
    try {
      const out = await this.client.send(
        new CreateJobCommand({
          jobId: input.jobId,
          targets: input.targets.map((t) => this.thingArn(t)),
          // SNAPSHOT: the job completes once its targets ran it (CONTINUOUS would add things joining a group).
          targetSelection: 'SNAPSHOT',
          document: JSON.stringify(input.document),
          ...(input.description ? { description: input.description } : {}),
          ...(input.rollout ? { jobExecutionsRolloutConfig: input.rollout } : {}),
          ...(input.abortConfig ? { abortConfig: input.abortConfig } : {}),
          ...(input.inProgressTimeoutInMinutes ? { timeoutConfig: { inProgressTimeoutInMinutes: input.inProgressTimeoutInMinutes } } : {}),
        }),
      )
      this.options.logger.info({ jobId: out.jobId, targets: input.targets.length }, 'IoT job created')
      return { jobId: out.jobId ?? input.jobId, ...(out.jobArn ? { jobArn: out.jobArn } : {}) }
    } catch (err) {
      throw translate(err, `CreateJob ${input.jobId}`)
    }
  }

  async describeJob(jobId: string): Promise<JobDescription | undefined> {
    try {
      const { job } = await this.client.send(new DescribeJobCommand({ jobId }))
      if (!job) return undefined
      const d = job.jobProcessDetails ?? {}
      const executions = await this.client.send(new ListJobExecutionsForJobCommand({ jobId, maxResults: 250 }))
      return {
        jobId,
        ...(job.jobArn ? { jobArn: job.jobArn } : {}),
        status: (job.status === 'CANCELED' || job.status === 'COMPLETED' ? job.status : 'IN_PROGRESS') as JobStatus,
        createdAt: (job.createdAt ?? new Date(0)).toISOString(),
        targets: (job.targets ?? []).map((arn) => arn.slice(arn.lastIndexOf('/') + 1)),
        ...(job.reasonCode ? { reasonCode: job.reasonCode } : {}),
        processDetails: {
          numberOfQueuedThings: n(d.numberOfQueuedThings),
          numberOfInProgressThings: n(d.numberOfInProgressThings),
          numberOfSucceededThings: n(d.numberOfSucceededThings),
          numberOfFailedThings: n(d.numberOfFailedThings),
          numberOfRejectedThings: n(d.numberOfRejectedThings),
          numberOfCanceledThings: n(d.numberOfCanceledThings),
          numberOfTimedOutThings: n(d.numberOfTimedOutThings),
          numberOfRemovedThings: n(d.numberOfRemovedThings),
        },
        executions: (executions.executionSummaries ?? []).map((e) => ({
          thingName: (e.thingArn ?? '').slice((e.thingArn ?? '').lastIndexOf('/') + 1),
          status: (e.jobExecutionSummary?.status ?? 'QUEUED') as JobExecutionStatus,
          versionNumber: 0,
        })),
      }
    } catch (err) {
      if (err instanceof ResourceNotFoundException) return undefined
      throw translate(err, `DescribeJob ${jobId}`)
    }
  }

  async listJobs(): Promise<JobSummary[]> {
    try {
      const out = await this.client.send(new ListJobsCommand({ maxResults: 250 }))
      return (out.jobs ?? []).map((j) => ({
        jobId: j.jobId ?? '',
        status: (j.status === 'CANCELED' || j.status === 'COMPLETED' ? j.status : 'IN_PROGRESS') as JobStatus,
        createdAt: (j.createdAt ?? new Date(0)).toISOString(),
      }))
    } catch (err) {
      throw translate(err, 'ListJobs')
    }
  }

  async cancelJob(jobId: string, options: CancelJobOptions = {}): Promise<void> {
    try {
      await this.client.send(
        new CancelJobCommand({
          jobId,
          ...(options.force ? { force: true } : {}),
          ...(options.reasonCode ? { reasonCode: options.reasonCode } : {}),
          ...(options.comment ? { comment: options.comment } : {}),
        }),
      )
    } catch (err) {
      throw translate(err, `CancelJob ${jobId}`)
    }
  }
}

/** Maps the IoT API's error types (`x-amzn-ErrorType`) to coded errors, keeping the service message. */
function translate(err: unknown, what: string): CloudError {
  const name = (err as { name?: string }).name ?? 'Error'
  const code =
    name === 'ResourceAlreadyExistsException'
      ? 'CLOUD_JOBS_CONFLICT'
      : name === 'ResourceNotFoundException'
        ? 'CLOUD_JOBS_NOT_FOUND'
        : name === 'ThrottlingException' || name === 'LimitExceededException'
          ? 'CLOUD_JOBS_THROTTLED'
          : name === 'InvalidRequestException'
            ? 'CLOUD_JOBS_INVALID'
            : 'CLOUD_JOBS_AWS_ERROR'
  return new CloudError(code, `${what} failed: ${name}: ${(err as Error).message}`, { cause: err })
}
