import {
  type CreateJobInput,
  CreateJobInput as CreateJobInputSchema,
  createValidator,
  jobsTopics,
  parseJobsTopic,
  StartNextPendingJobExecutionRequest,
  UpdateJobExecutionRequest,
} from '@edgetwin/shared-schemas'
import mqtt, { type MqttClient } from 'mqtt'
import type { Logger } from 'pino'
import { CloudError } from '../../errors.js'
import type { CancelJobOptions, JobDescription, JobSummary, JobsService } from '../jobs-service.js'
import type { JobBook, Outgoing, ServiceReply } from './job-book.js'
import { JobStore } from './job-store.js'

const createJobInput = createValidator(CreateJobInputSchema)
const startNextRequest = createValidator(StartNextPendingJobExecutionRequest)
const updateRequest = createValidator(UpdateJobExecutionRequest)

/** A serving lease whose heartbeat is older than this is considered abandoned. */
export const JOBS_LEASE_TTL_MS = 10_000

export interface LocalJobsServiceOptions {
  /** Broker the devices use (the embedded aedes broker or Mosquitto). */
  readonly brokerUrl: string
  /** SQLite file holding every job and execution (conventionally `<cloud dataDir>/jobs.db`); created if missing. */
  readonly dbPath: string
  readonly clientId?: string
  readonly logger: Logger
  /** How often timeouts and rollout releases are evaluated. @default 1000 */
  readonly tickMs?: number
  /** Length of a "minute" for rollout rates and timeouts; shorter only to compress time in tests and demos. @default 60000 */
  readonly minuteMs?: number
  readonly now?: () => number
}

// Request topics of every thing. A filter that starts with `$aws` matches reserved topics; a leading wildcard
// would not ([MQTT-4.7.2-1]).
const REQUEST_FILTERS = [
  '$aws/things/+/jobs/start-next',
  '$aws/things/+/jobs/get',
  '$aws/things/+/jobs/+/update',
  '$aws/things/+/jobs/+/get',
]

/**
 * The embedded default's AWS IoT Jobs: the service side of the Jobs device MQTT API on the local broker, so
 * the same agent (or the AWS IoT Device SDK's jobs client) works here and against IoT Core.
 *
 * Durable: every mutation is committed to `dbPath` before its reply or notification is published, so a crash
 * never acknowledges what a restart would forget; `start()` restores jobs, versions, rollout progress and
 * deadlines. Jobs that other processes submit to the same database (`edgetwin jobs create`) are taken up on
 * the next tick. One service per database (a lease in the database enforces it).
 */
export class LocalJobsService implements JobsService {
  private book: JobBook | null = null
  private store: JobStore | null = null
  private readonly minuteMs: number
  private readonly now: () => number
  private client: MqttClient | null = null
  private timer: NodeJS.Timeout | null = null
  private lastHeartbeatMs = 0
  private readonly refused = new Set<string>()
  private readonly log: Logger

  constructor(private readonly options: LocalJobsServiceOptions) {
    this.minuteMs = options.minuteMs ?? 60_000
    this.now = options.now ?? Date.now
    this.log = options.logger.child({ component: 'local-jobs-service', dbPath: options.dbPath })
  }

  async start(): Promise<void> {
    if (this.client) return
    const store = JobStore.open(this.options.dbPath)
    try {
      store.acquireLease(this.now(), JOBS_LEASE_TTL_MS)
      this.book = store.load(this.minuteMs)
      this.store = store
      const client = await mqtt.connectAsync(this.options.brokerUrl, {
        clientId: this.options.clientId ?? 'edgetwin-jobs-service',
        protocolVersion: 4,
        reconnectPeriod: 1000,
      })
      client.on('message', (topic, payload) => this.onRequest(topic, payload))
      await client.subscribeAsync(REQUEST_FILTERS, { qos: 1 })
      this.client = client
    } catch (err) {
      this.book = null
      this.store = null
      store.releaseLease()
      store.close()
      throw err
    }
    this.log.info({ jobs: this.book.list().length }, 'jobs restored')
    // Deadlines that passed while the service was down fire now, not a tick later.
    this.tick()
    this.timer = setInterval(() => this.tick(), this.options.tickMs ?? 1000)
    this.timer.unref()
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    const client = this.client
    this.client = null
    await client?.endAsync()
    this.store?.releaseLease()
    this.store?.close()
    this.store = null
    this.book = null
  }

  async createJob(input: CreateJobInput): Promise<{ jobId: string }> {
    const errors = createJobInput.errors(input)
    if (errors.length > 0) {
      throw new CloudError('CLOUD_JOBS_INVALID', `invalid job: ${errors.map((e) => `${e.path || '(root)'}: ${e.message}`).join('; ')}`)
    }
    const { book, store } = this.started()
    if (book.has(input.jobId) || store.exists(input.jobId)) throw new CloudError('CLOUD_JOBS_CONFLICT', `job ${input.jobId} already exists`)
    const out = book.create(structuredClone(input), this.now())
    this.commitOrThrow()
    this.emit(out)
    this.log.info({ jobId: input.jobId, targets: input.targets.length }, 'job created')
    return { jobId: input.jobId }
  }

  async describeJob(jobId: string): Promise<JobDescription | undefined> {
    return this.started().book.describe(jobId)
  }

  async listJobs(): Promise<JobSummary[]> {
    return this.started()
      .book.list()
      .map(({ jobId, status, createdAt }) => ({ jobId, status, createdAt }))
  }

  async cancelJob(jobId: string, options: CancelJobOptions = {}): Promise<void> {
    const { book } = this.started()
    if (!book.has(jobId)) throw new CloudError('CLOUD_JOBS_NOT_FOUND', `job ${jobId} does not exist`)
    const out = book.cancel(jobId, this.now(), options.force ?? false, options.reasonCode)
    this.commitOrThrow()
    this.emit(out)
  }

  /**
   * Takes up jobs other processes submitted, re-evaluates timeouts and rollout, commits, then notifies (the
   * timer does it every `tickMs`).
   */
  tick(): void {
    const book = this.book
    const store = this.store
    if (!book || !store) return
    const nowMs = this.now()
    const out: Outgoing[] = []
    try {
      for (const s of store.submitted()) {
        if (book.has(s.jobId) || this.refused.has(s.jobId)) continue
        const errors = createJobInput.errors(s.input)
        if (errors.length > 0 || s.input.jobId !== s.jobId) {
          // Left in the database for inspection; refused once, not on every tick.
          this.refused.add(s.jobId)
          this.log.error({ jobId: s.jobId, errors }, 'submitted job is invalid; not served')
          continue
        }
        store.adopt(s.jobId)
        out.push(...book.create(s.input, nowMs))
        this.log.info({ jobId: s.jobId, targets: s.input.targets.length }, 'submitted job taken up')
      }
      out.push(...book.tick(nowMs))
      if (nowMs - this.lastHeartbeatMs >= 1000) {
        if (!store.heartbeat(nowMs)) this.log.error('jobs database lease was taken over by another process')
        this.lastHeartbeatMs = nowMs
      }
    } catch (err) {
      this.log.error({ err }, 'jobs tick failed')
      return
    }
    if (this.commit()) this.emit(out)
  }

  private started(): { book: JobBook; store: JobStore } {
    if (!this.book || !this.store) throw new CloudError('CLOUD_CLOSED', 'the local jobs service is not started')
    return { book: this.book, store: this.store }
  }

  /**
   * Commits the book. On failure the in-memory book is reloaded from the last commit, so nothing is
   * acknowledged or notified that the database does not hold.
   */
  private commit(): boolean {
    const store = this.store
    if (!store || !this.book) return false
    try {
      store.save(this.book)
      return true
    } catch (err) {
      this.log.error({ err }, 'jobs commit failed; state rolled back to the last commit')
      this.book = store.load(this.minuteMs)
      return false
    }
  }

  private commitOrThrow(): void {
    if (!this.commit()) throw new CloudError('CLOUD_JOBS_STORE_FAILED', `could not commit to ${this.options.dbPath}`)
  }

  private onRequest(topic: string, payload: Buffer): void {
    const parsed = parseJobsTopic(topic)
    if (!parsed || parsed.reply !== undefined) return
    const { thingName, operation } = parsed
    if (operation === 'notify' || operation === 'notify-next') return
    const book = this.book
    if (!book) return
    let body: unknown
    try {
      body = JSON.parse(payload.toString('utf8'))
    } catch {
      this.reply(topic, { accepted: false, code: 'InvalidJson', message: 'request payload is not JSON' }, undefined)
      return
    }
    const token = (body as { clientToken?: unknown } | null)?.clientToken
    const clientToken = typeof token === 'string' ? token : undefined
    const now = this.now()
    const invalid = (what: string, errs: { path: string; message: string }[]) =>
      this.reply(
        topic,
        { accepted: false, code: 'InvalidRequest', message: `${what}: ${errs.map((e) => `${e.path} ${e.message}`).join('; ')}` },
        clientToken,
      )
    if (operation === 'start-next') {
      if (!startNextRequest.check(body)) {
        invalid('invalid StartNextPendingJobExecution', startNextRequest.errors(body))
        return
      }
      const { reply, out } = book.startNext(thingName, body, now)
      // Committed before the reply: a device never holds an acknowledgement that a restart would forget.
      if (!this.commit()) return
      this.reply(topic, reply, clientToken)
      this.emit(out)
    } else if (operation === 'update' && parsed.jobId) {
      if (!updateRequest.check(body)) {
        invalid('invalid UpdateJobExecution', updateRequest.errors(body))
        return
      }
      const { reply, out } = book.update(thingName, parsed.jobId, body, now)
      if (!this.commit()) return
      this.reply(topic, reply, clientToken)
      this.emit(out)
    } else if (operation === 'describe' && parsed.jobId) {
      this.reply(topic, book.describeExecution(thingName, parsed.jobId, now), clientToken)
    } else if (operation === 'get') {
      this.reply(topic, book.pending(thingName, now), clientToken)
    }
  }

  /** Replies go to `<request topic>/accepted` or `/rejected`, echoing the client token (Jobs MQTT API). */
  private reply(requestTopic: string, reply: ServiceReply, clientToken: string | undefined): void {
    const tokenPart = clientToken ? { clientToken } : {}
    const body = reply.accepted
      ? { ...reply.body, ...tokenPart }
      : {
          code: reply.code,
          message: reply.message,
          timestamp: Math.floor(this.now() / 1000),
          ...tokenPart,
          ...(reply.executionState ? { executionState: reply.executionState } : {}),
        }
    this.publish(`${requestTopic}/${reply.accepted ? 'accepted' : 'rejected'}`, body)
  }

  private emit(out: readonly Outgoing[]): void {
    for (const o of out) this.publish(jobsTopics(o.thingName).notifyNext, o.payload)
  }

  private publish(topic: string, body: unknown): void {
    const client = this.client
    if (!client) return
    client.publish(topic, JSON.stringify(body), { qos: 1 }, (err) => {
      if (err) this.log.warn({ err, topic }, 'jobs service publish failed')
    })
  }
}
