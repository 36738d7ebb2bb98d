import type { CreateJobInput, JobExecutionStatus, JobStatusDetails } from '@edgetwin/shared-schemas'

export type JobStatus = 'IN_PROGRESS' | 'CANCELED' | 'COMPLETED'

/** Counts of a job's executions per status (`jobProcessDetails` of DescribeJob). */
export interface JobProcessDetails {
  readonly numberOfQueuedThings: number
  readonly numberOfInProgressThings: number
  readonly numberOfSucceededThings: number
  readonly numberOfFailedThings: number
  readonly numberOfRejectedThings: number
  readonly numberOfCanceledThings: number
  readonly numberOfTimedOutThings: number
  readonly numberOfRemovedThings: number
}

export interface JobExecutionSummary {
  readonly thingName: string
  readonly status: JobExecutionStatus
  readonly versionNumber: number
  readonly statusDetails?: JobStatusDetails
}

export interface JobSummary {
  readonly jobId: string
  readonly status: JobStatus
  readonly createdAt: string
}

export interface JobDescription extends JobSummary {
  readonly jobArn?: string
  readonly document?: Record<string, unknown>
  readonly targets: readonly string[]
  /** Why the job was canceled, e.g. `AbortThresholdExceeded` after its abort criteria fired. */
  readonly reasonCode?: string
  readonly processDetails: JobProcessDetails
  /** Per-thing executions when the adapter knows them (the local service does). */
  readonly executions?: readonly JobExecutionSummary[]
}

export interface CancelJobOptions {
  /** Also cancel IN_PROGRESS executions (CancelJob `force`). */
  readonly force?: boolean
  readonly reasonCode?: string
  readonly comment?: string
}

/**
 * Port for AWS IoT Jobs: creating and following jobs that reach devices over the Jobs MQTT API. Adapters:
 * the local service on the embedded broker, and AWS IoT (`@aws-sdk/client-iot`).
 */
export interface JobsService {
  start(): Promise<void>
  close(): Promise<void>
  /** Validates `input` against the shared `CreateJobInput` schema; throws CloudError `CLOUD_JOBS_INVALID` / `CLOUD_JOBS_CONFLICT`. */
  createJob(input: CreateJobInput): Promise<{ jobId: string; jobArn?: string }>
  describeJob(jobId: string): Promise<JobDescription | undefined>
  listJobs(): Promise<JobSummary[]>
  cancelJob(jobId: string, options?: CancelJobOptions): Promise<void>
}
