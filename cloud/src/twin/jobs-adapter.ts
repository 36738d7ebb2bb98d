import type { JobDescription, JobsService } from '../jobs/jobs-service.js'
import { type JobSigner, signJobDocument } from '../jobs/signing/job-signer.js'
import type { ControllerUpdateJob, TwinJobExecutionStatus, TwinJobs } from './ports.js'

/** A single-target job's execution status from DescribeJob's per-status counts (what AWS returns without executions). */
function statusFromCounts(job: JobDescription): TwinJobExecutionStatus {
  const d = job.processDetails
  if (d.numberOfSucceededThings > 0) return 'SUCCEEDED'
  if (d.numberOfFailedThings > 0) return 'FAILED'
  if (d.numberOfRejectedThings > 0) return 'REJECTED'
  if (d.numberOfTimedOutThings > 0) return 'TIMED_OUT'
  if (d.numberOfCanceledThings > 0) return 'CANCELED'
  if (d.numberOfRemovedThings > 0) return 'REMOVED'
  if (d.numberOfInProgressThings > 0) return 'IN_PROGRESS'
  if (d.numberOfQueuedThings > 0) return 'QUEUED'
  return 'UNKNOWN'
}

export interface TwinJobSigning {
  readonly signer: JobSigner
  /** Seconds a signed document stays valid after creation. */
  readonly validityS: number
  /** @default Date.now */
  readonly now?: () => number
}

/**
 * The twin's view of the JobsService port (the local jobs service or AWS IoT Jobs). With `signing`, every document
 * is signed, bound to its job id, its target things and an expiry, before it is created.
 */
export function twinJobsFrom(service: JobsService, signing?: TwinJobSigning): TwinJobs {
  const execution: NonNullable<TwinJobs['execution']> = async (jobId, thingName) => {
    const job = await service.describeJob(jobId)
    if (!job) return { status: 'UNKNOWN' }
    const found = job.executions?.find((e) => e.thingName === thingName)
    if (found) return { status: found.status, ...(found.statusDetails ? { statusDetails: { ...found.statusDetails } } : {}) }
    return { status: job.targets.length === 1 && job.targets[0] === thingName ? statusFromCounts(job) : 'UNKNOWN' }
  }
  return {
    async createJob(job: ControllerUpdateJob) {
      const unsigned = job.document as unknown as Record<string, unknown>
      const document = signing
        ? await signJobDocument(signing.signer, unsigned, {
            jobId: job.jobId,
            things: [...job.targets],
            expiresAtS: Math.floor((signing.now ?? Date.now)() / 1000) + signing.validityS,
          })
        : unsigned
      await service.createJob({
        jobId: job.jobId,
        targets: [...job.targets],
        document,
        description: job.description.slice(0, 2028),
        ...(job.targets.length > 1 ? { rollout: { maximumPerMinute: 10 } } : {}),
        ...(job.abortFailurePercent > 0
          ? {
              abortConfig: {
                criteriaList: [
                  {
                    failureType: 'ALL' as const,
                    action: 'CANCEL' as const,
                    thresholdPercentage: job.abortFailurePercent,
                    minNumberOfExecutedThings: job.abortMinExecutions,
                  },
                ],
              },
            }
          : {}),
        inProgressTimeoutInMinutes: job.inProgressTimeoutMinutes,
      })
    },
    execution,
    async executionStatus(jobId: string, thingName: string): Promise<TwinJobExecutionStatus> {
      return (await execution(jobId, thingName)).status
    },
  }
}
