import type { JobStatusDetails } from '@edgetwin/shared-schemas'

/** The final status a device reports for a job execution. */
export type JobVerdict = 'SUCCEEDED' | 'FAILED' | 'REJECTED'

export interface JobOutcome {
  readonly status: JobVerdict
  readonly statusDetails: JobStatusDetails
}

/** One job execution handed to a handler, after the client checked it belongs to this thing. */
export interface JobExecutionContext {
  readonly jobId: string
  readonly thingName: string
  readonly document: unknown
  /** Reports progress (`IN_PROGRESS` with details) through UpdateJobExecution; failures are the client's concern. */
  reportProgress(statusDetails: JobStatusDetails): Promise<void>
}

/**
 * Executes job documents. Must be idempotent per job id: the client may hand the same execution again after a
 * restart (start-next returns an IN_PROGRESS execution first), and the handler must not apply it twice.
 */
export interface JobHandler {
  execute(context: JobExecutionContext): Promise<JobOutcome>
}
