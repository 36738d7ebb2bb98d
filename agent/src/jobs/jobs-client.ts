import { randomUUID } from 'node:crypto'
import {
  createValidator,
  isTerminalStatus,
  type JobExecutionData,
  type JobStatusDetails,
  JobsRejectedResponse,
  jobsTopics,
  NextJobExecutionChanged,
  parseJobsTopic,
  StartNextPendingJobExecutionAccepted,
  UpdateJobExecutionAccepted as UpdateAcceptedSchema,
  type UpdateJobExecutionAccepted,
  type UpdateJobExecutionRequest,
} from '@edgetwin/shared-schemas'
import type { Logger } from 'pino'
import { JobsError } from './errors.js'
import type { JobHandler, JobOutcome } from './job-handler.js'
import type { JobsMqttSession } from './mqtt-session.js'

const startNextAccepted = createValidator(StartNextPendingJobExecutionAccepted)
const updateAccepted = createValidator(UpdateAcceptedSchema)
const rejected = createValidator(JobsRejectedResponse)
const notifyNext = createValidator(NextJobExecutionChanged)

export interface JobsClientOptions {
  readonly session: JobsMqttSession
  readonly thingName: string
  readonly handler: JobHandler
  readonly logger: Logger
  readonly requestTimeoutMs: number
}

/** Counters the client reports in health and tests assert on. */
export interface JobsClientStats {
  executed: number
  reported: number
  /** Messages dropped because their topic named another thing. */
  foreignTopic: number
  /** Replies that matched no request of ours (unsolicited or late). */
  unsolicited: number
  invalid: number
}

type Reply = { accepted: true; body: unknown } | { accepted: false; body: JobsRejectedResponse }

/**
 * Device side of the AWS IoT Jobs MQTT API: start-next on connect and on every notify-next, hand each
 * execution to the handler, report the outcome with UpdateJobExecution using `expectedVersion`. Requests and
 * replies are matched by `clientToken`. One execution at a time, in the order the service hands them out.
 */
export class JobsClient {
  readonly stats: JobsClientStats = { executed: 0, reported: 0, foreignTopic: 0, unsolicited: 0, invalid: 0 }
  private readonly topics: ReturnType<typeof jobsTopics>
  private readonly pending = new Map<string, (reply: Reply) => void>()
  private readonly log: Logger
  private offConnect: (() => void) | null = null
  private running: Promise<void> | null = null
  private again = false
  private retryTimer: NodeJS.Timeout | null = null
  private closed = false

  constructor(private readonly options: JobsClientOptions) {
    this.topics = jobsTopics(options.thingName)
    // The jobs extension's logger already carries `component: 'jobs'`; pino would repeat a second one.
    this.log = options.logger.child({ thingName: options.thingName })
  }

  async start(): Promise<void> {
    const onMessage = (topic: string, payload: Buffer) => this.onMessage(topic, payload)
    const t = this.topics
    // Only reply and notification topics: a `jobs/#` filter would echo our own requests back to us.
    for (const filter of [
      t.notifyNext,
      t.startNextAccepted,
      t.startNextRejected,
      `${t.base}/+/update/accepted`,
      `${t.base}/+/update/rejected`,
    ]) {
      await this.options.session.subscribe(filter, onMessage)
    }
    this.offConnect = this.options.session.onConnect(() => this.kick())
    if (this.options.session.connected) this.kick()
  }

  /** Stops taking jobs; an execution in progress is abandoned unreported and resumed by the next start. */
  async close(): Promise<void> {
    this.closed = true
    this.offConnect?.()
    if (this.retryTimer) clearTimeout(this.retryTimer)
    for (const [token, settle] of this.pending) {
      this.pending.delete(token)
      settle({ accepted: false, body: { code: 'InternalError', message: 'client closed', timestamp: 0 } })
    }
    await this.running?.catch(() => {})
  }

  /** Asks for the next job; coalesces while one is being processed. Resolves when the queue is drained. */
  kick(): Promise<void> {
    if (this.closed) return Promise.resolve()
    if (this.running) {
      this.again = true
      return this.running
    }
    this.running = (async () => {
      try {
        do {
          this.again = false
          while (!this.closed && (await this.runNext())) {}
        } while (this.again && !this.closed)
      } catch (err) {
        if (!this.closed) {
          // No reply (service down, connection lost) or a refused request: try again later, and sooner on a
          // reconnect or a notification.
          this.log.warn({ err }, 'jobs loop stopped; retrying')
          this.retryTimer ??= setTimeout(() => {
            this.retryTimer = null
            void this.kick()
          }, this.options.requestTimeoutMs)
          this.retryTimer.unref?.()
        }
      } finally {
        this.running = null
      }
    })()
    return this.running
  }

  private async runNext(): Promise<boolean> {
    const reply = await this.request(this.topics.startNext, {})
    if (!reply.accepted) throw new JobsError('AGENT_JOBS_REJECTED', `start-next rejected: ${reply.body.code} ${reply.body.message}`)
    if (!startNextAccepted.check(reply.body)) {
      this.stats.invalid++
      throw new JobsError('AGENT_JOBS_REJECTED', 'start-next reply does not match StartNextPendingJobExecution')
    }
    const execution = reply.body.execution
    if (!execution) return false
    if (execution.thingName !== undefined && execution.thingName !== this.options.thingName) {
      this.stats.foreignTopic++
      this.log.error({ jobId: execution.jobId, other: execution.thingName }, 'execution names another thing; ignored')
      return false
    }
    await this.process(execution)
    return true
  }

  private async process(execution: JobExecutionData): Promise<void> {
    let version = execution.versionNumber
    const { jobId } = execution
    const outcome: JobOutcome = await this.options.handler.execute({
      jobId,
      thingName: this.options.thingName,
      document: execution.jobDocument,
      reportProgress: async (statusDetails) => {
        const state = await this.update(jobId, 'IN_PROGRESS', statusDetails, version)
        if (state) version = state.versionNumber
      },
    })
    if (this.closed) return
    this.stats.executed++
    await this.update(jobId, outcome.status, outcome.statusDetails, version)
    this.stats.reported++
  }

  /**
   * UpdateJobExecution with `expectedVersion`. On VersionMismatch the rejection carries the current state
   * (Jobs MQTT API, UpdateJobExecution): retry against it unless the execution already reached a terminal
   * status (canceled or timed out meanwhile), which ends the job for this device.
   */
  private async update(
    jobId: string,
    status: UpdateJobExecutionRequest['status'],
    statusDetails: JobStatusDetails,
    expectedVersion: number,
  ): Promise<UpdateJobExecutionAccepted['executionState'] | undefined> {
    let expected = expectedVersion
    for (let attempt = 0; attempt < 3; attempt++) {
      const body: UpdateJobExecutionRequest = { status, statusDetails, expectedVersion: expected, includeJobExecutionState: true }
      const reply = await this.request(this.topics.update(jobId), body)
      if (reply.accepted) {
        if (!updateAccepted.check(reply.body)) throw new JobsError('AGENT_JOBS_REJECTED', 'update reply does not match UpdateJobExecution')
        return reply.body.executionState
      }
      const { code, executionState } = reply.body
      if (executionState && isTerminalStatus(executionState.status)) {
        this.log.warn({ jobId, status: executionState.status }, 'execution already terminal; outcome not reported')
        return executionState
      }
      if (code === 'VersionMismatch' && executionState) {
        expected = executionState.versionNumber
        continue
      }
      if (code === 'TerminalStateReached' || code === 'ResourceNotFound') {
        this.log.warn({ jobId, code }, 'execution gone; outcome not reported')
        return undefined
      }
      throw new JobsError('AGENT_JOBS_REJECTED', `update of ${jobId} to ${status} rejected: ${code} ${reply.body.message}`)
    }
    throw new JobsError('AGENT_JOBS_REJECTED', `update of ${jobId} kept hitting VersionMismatch`)
  }

  private async request(topic: string, body: Record<string, unknown>): Promise<Reply> {
    if (this.closed) throw new JobsError('AGENT_JOBS_CLOSED', 'jobs client closed')
    // Client tokens are at most 64 bytes (Jobs MQTT API); a UUID is 36.
    const clientToken = randomUUID()
    const reply = new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(clientToken)
        reject(new JobsError('AGENT_JOBS_REQUEST_TIMEOUT', `no reply on ${topic} within ${this.options.requestTimeoutMs} ms`))
      }, this.options.requestTimeoutMs)
      this.pending.set(clientToken, (r) => {
        clearTimeout(timer)
        this.pending.delete(clientToken)
        resolve(r)
      })
    })
    try {
      await this.options.session.publish(topic, JSON.stringify({ ...body, clientToken }), { qos: 1 })
    } catch (err) {
      this.pending.get(clientToken)?.({ accepted: false, body: { code: 'InternalError', message: String(err), timestamp: 0 } })
      throw err
    }
    return reply
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (this.closed) return
    const parsed = parseJobsTopic(topic)
    // Jobs MQTT API: "confirm that the thingName in the incoming message topic applies to the client's thing
    // name before the client acts on the message".
    if (!parsed || parsed.thingName !== this.options.thingName) {
      this.stats.foreignTopic++
      this.log.warn({ topic: topic.slice(0, 200) }, 'message on a topic of another thing or not a jobs topic; dropped')
      return
    }
    let body: unknown
    try {
      body = JSON.parse(payload.toString('utf8'))
    } catch {
      this.stats.invalid++
      this.log.warn({ topic }, 'jobs message is not JSON; dropped')
      return
    }
    if (parsed.operation === 'notify-next' && parsed.reply === undefined) {
      if (!notifyNext.check(body)) {
        this.stats.invalid++
        return
      }
      if (body.execution) void this.kick()
      return
    }
    if (parsed.reply === undefined) return
    const token = (body as { clientToken?: unknown } | null)?.clientToken
    const settle = typeof token === 'string' ? this.pending.get(token) : undefined
    if (!settle) {
      this.stats.unsolicited++
      return
    }
    if (parsed.reply === 'accepted') settle({ accepted: true, body })
    else if (rejected.check(body)) settle({ accepted: false, body })
    else {
      this.stats.invalid++
      settle({ accepted: false, body: { code: 'InternalError', message: 'malformed rejection', timestamp: 0 } })
    }
  }
}
