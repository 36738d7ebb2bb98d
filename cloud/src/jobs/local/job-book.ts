import {
  type CreateJobInput,
  isTerminalStatus,
  type JobExecutionData,
  type JobExecutionStatus,
  type JobStatusDetails,
} from '@edgetwin/shared-schemas'
import type { JobDescription, JobProcessDetails } from '../jobs-service.js'
import type { BookedJob, ExecutionRecord, JobRecord, Outgoing, ServiceReply } from './job-book-types.js'

export type { BookedJob, ExecutionRecord, JobRecord, Outgoing, ServiceReply } from './job-book-types.js'

const DEVICE_SETTABLE: readonly JobExecutionStatus[] = ['IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'REJECTED']
const s = (ms: number) => Math.floor(ms / 1000)

/**
 * The service side of AWS IoT Jobs as pure state: jobs, per-thing execution queues with version numbers,
 * rollout rate, abort criteria and timeouts. Every operation takes the time and returns the notify-next
 * messages it causes; the MQTT adapter does the I/O. `minuteMs` is the length of a rollout/timeout minute.
 */
export class JobBook {
  private readonly jobs = new Map<string, BookedJob>()
  private seq = 0

  constructor(private readonly minuteMs = 60_000) {}

  /** A book holding `records` (in their original creation order), as `exportJobs` left them. */
  static restore(records: readonly JobRecord[], minuteMs = 60_000): JobBook {
    const book = new JobBook(minuteMs)
    for (const r of records) {
      const job: BookedJob = { ...structuredClone(r), ratePerMinute: r.ratePerMinute ?? Number.POSITIVE_INFINITY }
      book.jobs.set(job.input.jobId, job)
      for (const e of job.executions) book.seq = Math.max(book.seq, e.seq + 1)
    }
    return book
  }

  /**
   * Deep copies of every job not named in `skip` (the store skips jobs it already wrote in a settled state).
   */
  exportJobs(skip: ReadonlySet<string> = new Set()): JobRecord[] {
    const out: JobRecord[] = []
    for (const [jobId, job] of this.jobs) {
      if (skip.has(jobId)) continue
      const copy = structuredClone(job)
      out.push({ ...copy, ratePerMinute: Number.isFinite(job.ratePerMinute) ? job.ratePerMinute : null })
    }
    return out
  }

  /**
   * A settled job never changes again: it is no longer IN_PROGRESS (so nothing is released or canceled) and
   * every execution is terminal (so no update, start-next or timeout touches it).
   */
  static isSettled(record: JobRecord): boolean {
    return record.status !== 'IN_PROGRESS' && record.executions.every((e) => isTerminalStatus(e.status))
  }

  has(jobId: string): boolean {
    return this.jobs.has(jobId)
  }

  create(input: CreateJobInput, nowMs: number): Outgoing[] {
    const rollout = input.rollout
    const job: BookedJob = {
      input,
      status: 'IN_PROGRESS',
      createdAtMs: nowMs,
      executions: input.targets.map((thingName) => ({
        jobId: input.jobId,
        thingName,
        status: 'QUEUED',
        released: false,
        queuedAtMs: nowMs,
        lastUpdatedAtMs: nowMs,
        versionNumber: 1,
        executionNumber: 1,
        seq: this.seq++,
      })),
      ratePerMinute: rollout?.exponentialRate?.baseRatePerMinute ?? rollout?.maximumPerMinute ?? Number.POSITIVE_INFINITY,
      windowStartMs: nowMs,
      releasedInWindow: 0,
      countSinceIncrease: 0,
    }
    this.jobs.set(input.jobId, job)
    return this.withNotifications(input.targets, nowMs, () => this.release(job, nowMs))
  }

  cancel(jobId: string, nowMs: number, force = false, reasonCode?: string): Outgoing[] {
    const job = this.jobs.get(jobId)
    if (job?.status !== 'IN_PROGRESS') return []
    return this.withNotifications(job.input.targets, nowMs, () => this.cancelJob(job, nowMs, force, reasonCode))
  }

  /** Rollout releases and timeouts due at `nowMs`. */
  tick(nowMs: number): Outgoing[] {
    const things = new Set<string>()
    for (const job of this.jobs.values()) for (const e of job.executions) things.add(e.thingName)
    return this.withNotifications([...things], nowMs, () => {
      for (const job of this.jobs.values()) {
        for (const e of job.executions) {
          const deadline = Math.min(e.inProgressDeadlineMs ?? Infinity, e.stepDeadlineMs ?? Infinity)
          if (e.status === 'IN_PROGRESS' && nowMs >= deadline) this.finishExecution(job, e, 'TIMED_OUT', nowMs)
        }
        if (job.status === 'IN_PROGRESS') this.release(job, nowMs)
      }
    })
  }

  /** StartNextPendingJobExecution. */
  startNext(thingName: string, req: { statusDetails?: JobStatusDetails; stepTimeoutInMinutes?: number }, nowMs: number) {
    let reply: ServiceReply = { accepted: true, body: { timestamp: s(nowMs) } }
    const out = this.withNotifications([thingName], nowMs, () => {
      const next = this.queue(thingName)[0]
      if (!next) return
      if (next.status === 'QUEUED') {
        next.status = 'IN_PROGRESS'
        next.startedAtMs = nowMs
        next.lastUpdatedAtMs = nowMs
        next.versionNumber++
        if (req.statusDetails) next.statusDetails = req.statusDetails
        const minutes = this.jobs.get(next.jobId)?.input.inProgressTimeoutInMinutes
        if (minutes) next.inProgressDeadlineMs = nowMs + minutes * this.minuteMs
      }
      if (req.stepTimeoutInMinutes) next.stepDeadlineMs = nowMs + req.stepTimeoutInMinutes * this.minuteMs
      reply = { accepted: true, body: { execution: this.data(next, true), timestamp: s(nowMs) } }
    })
    return { reply, out }
  }

  /** UpdateJobExecution with the optimistic `expectedVersion` check. */
  update(
    thingName: string,
    jobId: string,
    req: {
      status: JobExecutionStatus
      statusDetails?: JobStatusDetails
      expectedVersion?: number
      includeJobExecutionState?: boolean
      includeJobDocument?: boolean
      stepTimeoutInMinutes?: number
    },
    nowMs: number,
  ) {
    let reply: ServiceReply = { accepted: false, code: 'ResourceNotFound', message: `no execution of job ${jobId} for ${thingName}` }
    const out = this.withNotifications([thingName], nowMs, () => {
      const job = this.jobs.get(jobId)
      const e = job?.executions.find((x) => x.thingName === thingName && x.released)
      if (!job || !e) return
      if (isTerminalStatus(e.status)) {
        reply = { accepted: false, code: 'TerminalStateReached', message: `execution is ${e.status}`, executionState: this.state(e) }
        return
      }
      if (req.expectedVersion !== undefined && req.expectedVersion !== e.versionNumber) {
        const message = `expected version ${req.expectedVersion}, current ${e.versionNumber}`
        reply = { accepted: false, code: 'VersionMismatch', message, executionState: this.state(e) }
        return
      }
      if (!DEVICE_SETTABLE.includes(req.status)) {
        reply = {
          accepted: false,
          code: 'InvalidStateTransition',
          message: `a device cannot set ${req.status}`,
          executionState: this.state(e),
        }
        return
      }
      if (req.statusDetails) e.statusDetails = req.statusDetails
      if (req.stepTimeoutInMinutes !== undefined) {
        e.stepDeadlineMs = req.stepTimeoutInMinutes === -1 ? undefined : nowMs + req.stepTimeoutInMinutes * this.minuteMs
      }
      if (req.status === 'IN_PROGRESS') {
        if (e.status === 'QUEUED') e.startedAtMs = nowMs
        e.status = 'IN_PROGRESS'
        e.versionNumber++
        e.lastUpdatedAtMs = nowMs
      } else {
        this.finishExecution(job, e, req.status, nowMs)
      }
      const body: Record<string, unknown> = { timestamp: s(nowMs) }
      if (req.includeJobExecutionState) body.executionState = this.state(e)
      if (req.includeJobDocument) body.jobDocument = job.input.document
      reply = { accepted: true, body }
    })
    return { reply, out }
  }

  /** DescribeJobExecution (`$aws/things/<thing>/jobs/<jobId>/get`; `$next` names the head of the queue). */
  describeExecution(thingName: string, jobId: string, nowMs: number): ServiceReply {
    const e =
      jobId === '$next' ? this.queue(thingName)[0] : this.jobs.get(jobId)?.executions.find((x) => x.thingName === thingName && x.released)
    if (!e) return { accepted: false, code: 'ResourceNotFound', message: `no execution of job ${jobId} for ${thingName}` }
    return { accepted: true, body: { execution: this.data(e, true), timestamp: s(nowMs) } }
  }

  /** GetPendingJobExecutions. */
  pending(thingName: string, nowMs: number): ServiceReply {
    const q = this.queue(thingName)
    const summary = (e: ExecutionRecord) => ({
      jobId: e.jobId,
      queuedAt: s(e.queuedAtMs),
      ...(e.startedAtMs ? { startedAt: s(e.startedAtMs) } : {}),
      lastUpdatedAt: s(e.lastUpdatedAtMs),
      versionNumber: e.versionNumber,
      executionNumber: e.executionNumber,
    })
    return {
      accepted: true,
      body: {
        inProgressJobs: q.filter((e) => e.status === 'IN_PROGRESS').map(summary),
        queuedJobs: q.filter((e) => e.status === 'QUEUED').map(summary),
        timestamp: s(nowMs),
      },
    }
  }

  describe(jobId: string): JobDescription | undefined {
    const job = this.jobs.get(jobId)
    if (!job) return undefined
    const count = (st: JobExecutionStatus) => job.executions.filter((e) => e.status === st).length
    const processDetails: JobProcessDetails = {
      numberOfQueuedThings: count('QUEUED'),
      numberOfInProgressThings: count('IN_PROGRESS'),
      numberOfSucceededThings: count('SUCCEEDED'),
      numberOfFailedThings: count('FAILED'),
      numberOfRejectedThings: count('REJECTED'),
      numberOfCanceledThings: count('CANCELED'),
      numberOfTimedOutThings: count('TIMED_OUT'),
      numberOfRemovedThings: count('REMOVED'),
    }
    return {
      jobId,
      status: job.status,
      createdAt: new Date(job.createdAtMs).toISOString(),
      document: job.input.document,
      targets: job.input.targets,
      ...(job.reasonCode ? { reasonCode: job.reasonCode } : {}),
      processDetails,
      executions: job.executions.map((e) => ({
        thingName: e.thingName,
        status: e.status,
        versionNumber: e.versionNumber,
        ...(e.statusDetails ? { statusDetails: e.statusDetails } : {}),
      })),
    }
  }

  list(): JobDescription[] {
    return [...this.jobs.keys()].map((id) => this.describe(id)!)
  }

  private finishExecution(job: BookedJob, e: ExecutionRecord, status: JobExecutionStatus, nowMs: number): void {
    e.status = status
    e.versionNumber++
    e.lastUpdatedAtMs = nowMs
    if (status === 'SUCCEEDED' && job.input.rollout?.exponentialRate?.rateIncreaseCriteria.numberOfSucceededThings) {
      job.countSinceIncrease++
      this.maybeIncreaseRate(job)
    }
    this.checkAbort(job, nowMs)
    if (job.status === 'IN_PROGRESS' && job.executions.every((x) => isTerminalStatus(x.status))) job.status = 'COMPLETED'
  }

  /**
   * abortConfig: once at least `minNumberOfExecutedThings` executions finished (device verdict or time-out),
   * abort when failures of `failureType` reach `thresholdPercentage` of them; the job is canceled.
   */
  private checkAbort(job: BookedJob, nowMs: number): void {
    if (job.status !== 'IN_PROGRESS') return
    const executed = job.executions.filter((e) => ['SUCCEEDED', 'FAILED', 'REJECTED', 'TIMED_OUT'].includes(e.status))
    for (const c of job.input.abortConfig?.criteriaList ?? []) {
      if (executed.length < c.minNumberOfExecutedThings) continue
      const failed = executed.filter((e) => (c.failureType === 'ALL' ? e.status !== 'SUCCEEDED' : e.status === c.failureType)).length
      if ((failed / executed.length) * 100 >= c.thresholdPercentage) {
        this.cancelJob(job, nowMs, false, 'AbortThresholdExceeded')
        return
      }
    }
  }

  /** CancelJob: QUEUED and unreleased executions are canceled; IN_PROGRESS ones only with `force`. */
  private cancelJob(job: BookedJob, nowMs: number, force: boolean, reasonCode?: string): void {
    job.status = 'CANCELED'
    if (reasonCode) job.reasonCode = reasonCode
    for (const e of job.executions) {
      if (e.status === 'QUEUED' || (force && e.status === 'IN_PROGRESS')) {
        e.status = 'CANCELED'
        e.versionNumber++
        e.lastUpdatedAtMs = nowMs
      }
    }
  }

  /** jobExecutionsRolloutConfig: release at most `ratePerMinute` executions per rollout minute. */
  private release(job: BookedJob, nowMs: number): void {
    if (job.status !== 'IN_PROGRESS') return
    if (nowMs - job.windowStartMs >= this.minuteMs) {
      job.windowStartMs = nowMs
      job.releasedInWindow = 0
    }
    for (const e of job.executions) {
      if (e.released || e.status !== 'QUEUED') continue
      if (job.releasedInWindow >= job.ratePerMinute) break
      e.released = true
      e.queuedAtMs = nowMs
      e.lastUpdatedAtMs = nowMs
      job.releasedInWindow++
      if (job.input.rollout?.exponentialRate?.rateIncreaseCriteria.numberOfNotifiedThings) {
        job.countSinceIncrease++
        this.maybeIncreaseRate(job)
      }
    }
  }

  private maybeIncreaseRate(job: BookedJob): void {
    const exp = job.input.rollout?.exponentialRate
    if (!exp) return
    const threshold = exp.rateIncreaseCriteria.numberOfNotifiedThings ?? exp.rateIncreaseCriteria.numberOfSucceededThings ?? Infinity
    if (job.countSinceIncrease < threshold) return
    job.countSinceIncrease = 0
    job.ratePerMinute = Math.min(Math.ceil(job.ratePerMinute * exp.incrementFactor), job.input.rollout?.maximumPerMinute ?? 1000)
  }

  /** Pending executions of a thing: IN_PROGRESS first, then QUEUED, each oldest first (Jobs notifications). */
  private queue(thingName: string): ExecutionRecord[] {
    const out: ExecutionRecord[] = []
    for (const job of this.jobs.values()) {
      for (const e of job.executions) if (e.thingName === thingName && e.released && !isTerminalStatus(e.status)) out.push(e)
    }
    const rank = (e: ExecutionRecord) => (e.status === 'IN_PROGRESS' ? 0 : 1)
    return out.sort((a, b) => rank(a) - rank(b) || a.queuedAtMs - b.queuedAtMs || a.seq - b.seq)
  }

  /** Runs `change` and returns a NextNotification for every thing whose queue head changed. */
  private withNotifications(things: readonly string[], nowMs: number, change: () => void): Outgoing[] {
    const key = (t: string) => {
      const head = this.queue(t)[0]
      return head ? `${head.jobId}:${head.status}` : ''
    }
    const before = new Map(things.map((t) => [t, key(t)]))
    change()
    const out: Outgoing[] = []
    for (const t of things) {
      if (key(t) === before.get(t)) continue
      const head = this.queue(t)[0]
      out.push({
        topic: 'notify-next',
        thingName: t,
        payload: { timestamp: s(nowMs), ...(head ? { execution: this.data(head, true) } : {}) },
      })
    }
    return out
  }

  private state(e: ExecutionRecord) {
    return { status: e.status, ...(e.statusDetails ? { statusDetails: e.statusDetails } : {}), versionNumber: e.versionNumber }
  }

  private data(e: ExecutionRecord, withDocument: boolean): JobExecutionData {
    return {
      jobId: e.jobId,
      thingName: e.thingName,
      ...(withDocument ? { jobDocument: this.jobs.get(e.jobId)?.input.document } : {}),
      status: e.status,
      ...(e.statusDetails ? { statusDetails: e.statusDetails } : {}),
      queuedAt: s(e.queuedAtMs),
      ...(e.startedAtMs ? { startedAt: s(e.startedAtMs) } : {}),
      lastUpdatedAt: s(e.lastUpdatedAtMs),
      versionNumber: e.versionNumber,
      executionNumber: e.executionNumber,
    }
  }
}
