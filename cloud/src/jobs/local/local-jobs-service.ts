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
import { JobBook, type Outgoing, type ServiceReply } from './job-book.js'

const createJobInput = createValidator(CreateJobInputSchema)
const startNextRequest = createValidator(StartNextPendingJobExecutionRequest)
const updateRequest = createValidator(UpdateJobExecutionRequest)

export interface LocalJobsServiceOptions {
  /** Broker the devices use (the embedded aedes broker or Mosquitto). */
  readonly brokerUrl: string
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
 * the same agent (or the AWS IoT Device SDK's jobs client) works here and against IoT Core. State is in memory.
 */
export class LocalJobsService implements JobsService {
  private readonly book: JobBook
  private readonly now: () => number
  private client: MqttClient | null = null
  private timer: NodeJS.Timeout | null = null
  private readonly log: Logger

  constructor(private readonly options: LocalJobsServiceOptions) {
    this.book = new JobBook(options.minuteMs ?? 60_000)
    this.now = options.now ?? Date.now
    this.log = options.logger.child({ component: 'local-jobs-service' })
  }

  async start(): Promise<void> {
    if (this.client) return
    const client = await mqtt.connectAsync(this.options.brokerUrl, {
      clientId: this.options.clientId ?? 'edgetwin-jobs-service',
      protocolVersion: 4,
      reconnectPeriod: 1000,
    })
    client.on('message', (topic, payload) => this.onRequest(topic, payload))
    await client.subscribeAsync(REQUEST_FILTERS, { qos: 1 })
    this.client = client
    this.timer = setInterval(() => this.emit(this.book.tick(this.now())), this.options.tickMs ?? 1000)
    this.timer.unref()
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    const client = this.client
    this.client = null
    await client?.endAsync()
  }

  async createJob(input: CreateJobInput): Promise<{ jobId: string }> {
    const errors = createJobInput.errors(input)
    if (errors.length > 0) {
      throw new CloudError('CLOUD_JOBS_INVALID', `invalid job: ${errors.map((e) => `${e.path || '(root)'}: ${e.message}`).join('; ')}`)
    }
    if (this.book.has(input.jobId)) throw new CloudError('CLOUD_JOBS_CONFLICT', `job ${input.jobId} already exists`)
    this.emit(this.book.create(structuredClone(input), this.now()))
    this.log.info({ jobId: input.jobId, targets: input.targets.length }, 'job created')
    return { jobId: input.jobId }
  }

  async describeJob(jobId: string): Promise<JobDescription | undefined> {
    return this.book.describe(jobId)
  }

  async listJobs(): Promise<JobSummary[]> {
    return this.book.list().map(({ jobId, status, createdAt }) => ({ jobId, status, createdAt }))
  }

  async cancelJob(jobId: string, options: CancelJobOptions = {}): Promise<void> {
    if (!this.book.has(jobId)) throw new CloudError('CLOUD_JOBS_NOT_FOUND', `job ${jobId} does not exist`)
    this.emit(this.book.cancel(jobId, this.now(), options.force ?? false, options.reasonCode))
  }

  /** Re-evaluates timeouts and rollout now (the timer does it every `tickMs`). */
  tick(): void {
    this.emit(this.book.tick(this.now()))
  }

  private onRequest(topic: string, payload: Buffer): void {
    const parsed = parseJobsTopic(topic)
    if (!parsed || parsed.reply !== undefined) return
    const { thingName, operation } = parsed
    if (operation === 'notify' || operation === 'notify-next') return
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
      const { reply, out } = this.book.startNext(thingName, body, now)
      this.reply(topic, reply, clientToken)
      this.emit(out)
    } else if (operation === 'update' && parsed.jobId) {
      if (!updateRequest.check(body)) {
        invalid('invalid UpdateJobExecution', updateRequest.errors(body))
        return
      }
      const { reply, out } = this.book.update(thingName, parsed.jobId, body, now)
      this.reply(topic, reply, clientToken)
      this.emit(out)
    } else if (operation === 'describe' && parsed.jobId) {
      this.reply(topic, this.book.describeExecution(thingName, parsed.jobId, now), clientToken)
    } else if (operation === 'get') {
      this.reply(topic, this.book.pending(thingName, now), clientToken)
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
