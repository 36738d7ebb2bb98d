import type { CreateJobInput, JobExecutionData, JobExecutionStatus, JobStatusDetails, JobsErrorCode } from '@edgetwin/shared-schemas'
import type { JobStatus } from '../jobs-service.js'

/** One thing's execution of a job, as the book keeps it. */
export interface ExecutionRecord {
  readonly jobId: string
  readonly thingName: string
  status: JobExecutionStatus
  statusDetails?: JobStatusDetails
  /** Rollout has released it to the thing (it exists as far as the device can tell). */
  released: boolean
  queuedAtMs: number
  startedAtMs?: number
  lastUpdatedAtMs: number
  versionNumber: number
  readonly executionNumber: number
  readonly seq: number
  inProgressDeadlineMs?: number
  stepDeadlineMs?: number
}

/** A job with its executions and rollout progress, as the book keeps it. */
export interface BookedJob {
  readonly input: CreateJobInput
  status: JobStatus
  reasonCode?: string
  readonly createdAtMs: number
  readonly executions: ExecutionRecord[]
  ratePerMinute: number
  windowStartMs: number
  releasedInWindow: number
  countSinceIncrease: number
}

/**
 * One job's complete state as plain data, for the durable store: what `JobBook.exportJobs` writes and
 * `JobBook.restore` reads back. Deadlines are absolute epoch milliseconds, so a timeout that expired while the
 * service was down fires on the first tick after a restore. `ratePerMinute` is `null` for "unlimited" (JSON
 * has no Infinity).
 */
export interface JobRecord extends Omit<BookedJob, 'ratePerMinute'> {
  readonly ratePerMinute: number | null
}

/** A message the MQTT side must publish. */
export interface Outgoing {
  readonly topic: 'notify-next'
  readonly thingName: string
  readonly payload: { timestamp: number; execution?: JobExecutionData }
}

export type ServiceReply =
  | { readonly accepted: true; readonly body: Record<string, unknown> }
  | { readonly accepted: false; readonly code: JobsErrorCode; readonly message: string; readonly executionState?: Record<string, unknown> }
