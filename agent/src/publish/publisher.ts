import { type DeviceKind, type PublishConfig, STREAMS, type Static, type StreamName, telemetryTopic } from '@edgetwin/shared-schemas'
import type { Logger } from 'pino'
import { AgentError, isAgentError } from '../errors.js'
import type { HealthCounters } from '../health/counters.js'
import type { GroupCommitter } from '../outbox/group-commit.js'
import type { OutboxRow, SqliteOutbox } from '../outbox/outbox.js'
import type { AgentTransport } from '../transport/transport.js'
import { ENVELOPE_OVERHEAD_BYTES, encodeBatch, PER_RECORD_OVERHEAD_BYTES } from './envelope-batch.js'
import { RateLimiter } from './rate-limiter.js'
import { damagedRowReason } from './row-check.js'

export interface PublisherOptions {
  readonly deviceId: string
  readonly kind: DeviceKind
  readonly config: Static<typeof PublishConfig>
  readonly outbox: SqliteOutbox
  readonly committer: GroupCommitter
  readonly session: AgentTransport
  readonly counters: HealthCounters
  readonly logger: Logger
  readonly onError: (err: AgentError) => void
}

interface InflightBatch {
  readonly stream: StreamName
  readonly firstSeq: number
  readonly lastSeq: number
  readonly count: number
  refusals: number
  /** When the PUBLISH was (re)sent, for the acknowledgement watchdog. */
  sentAtMs: number
}

/** MQTT 5 reason codes of 0x80 and above are failures (MQTT 5.0 section 2.4). */
const FIRST_FAILURE_REASON_CODE = 0x80

/**
 * Moves records from the outbox to the broker: batches per stream, an in-flight window of unacknowledged QoS 1
 * messages, an optional rate limit. A batch's rows are deleted only when its PUBACK arrives. Unacknowledged
 * batches are re-sent by MQTT.js after a reconnect (same packet, same seqs); after a restart they are read again
 * from the outbox (same seqs). A refused batch is retried, then quarantined so it never blocks the queue.
 */
export class Publisher {
  /** Highest seq handed to MQTT, per stream. */
  private readonly cursor = new Map<StreamName, number>()
  private readonly inflight = new Set<InflightBatch>()
  private readonly limiter: RateLimiter | undefined
  private readonly topics: Record<StreamName, string>
  private nextStream = 0
  private sendChain: Promise<void> = Promise.resolve()
  private pumpTimer: NodeJS.Timeout | undefined
  private closing = false
  private idleWaiters: (() => void)[] = []
  private readonly offConnect: () => void
  private readonly watchdog: NodeJS.Timeout

  constructor(private readonly o: PublisherOptions) {
    this.limiter = o.config.maxPublishesPerSecond ? new RateLimiter(o.config.maxPublishesPerSecond) : undefined
    this.topics = Object.fromEntries(STREAMS.map((s) => [s, telemetryTopic(o.kind, o.deviceId, s)])) as Record<StreamName, string>
    this.offConnect = o.session.onConnect(() => {
      // MQTT.js has just re-sent what was unacknowledged: their clocks start again.
      const now = Date.now()
      for (const b of this.inflight) if (b.sentAtMs !== Number.POSITIVE_INFINITY) b.sentAtMs = now
      this.pump()
    })
    this.watchdog = setInterval(() => this.checkAcks(), Math.max(50, Math.min(5000, o.config.ackTimeoutMs / 4)))
    this.watchdog.unref()
  }

  /**
   * Liveness: a broker that never answers a PUBLISH (or answers with a packet MQTT.js cannot parse) would pin a
   * slot of the window forever. Past `ackTimeoutMs` the connection is dropped, so it is re-established and the
   * unacknowledged messages are sent again.
   */
  private checkAcks(): void {
    if (!this.o.session.connected) return
    const now = Date.now()
    for (const b of this.inflight) {
      if (now - b.sentAtMs > this.o.config.ackTimeoutMs) {
        const err = new AgentError(
          'AGENT_ACK_TIMEOUT',
          `no PUBACK for ${b.stream} seqs ${b.firstSeq}-${b.lastSeq} after ${now - b.sentAtMs} ms; reconnecting`,
        )
        this.o.logger.warn({ stream: b.stream, firstSeq: b.firstSeq, lastSeq: b.lastSeq }, err.message)
        this.o.onError(err)
        this.o.session.dropConnection()
        return
      }
    }
  }

  get inflightCount(): number {
    return this.inflight.size
  }

  private get window(): number {
    const rm = this.o.session.receiveMaximum
    return rm ? Math.min(rm, this.o.config.inflightWindow) : this.o.config.inflightWindow
  }

  /** Something new was committed or acknowledged: send what the window allows. */
  pump(): void {
    if (this.closing || !this.o.session.connected) return
    while (this.inflight.size < this.window) {
      if (this.limiter && !this.limiter.tryTake()) {
        this.pumpTimer ??= setTimeout(() => {
          this.pumpTimer = undefined
          this.pump()
        }, this.limiter.waitMs())
        return
      }
      const batch = this.nextBatch()
      if (!batch) {
        return
      }
    }
  }

  /** Reads the next batch, round-robin over streams so that bulk metrics cannot starve events. */
  private nextBatch(): InflightBatch | undefined {
    const { maxRecordsPerBatch, maxBatchBytes } = this.o.config
    for (let i = 0; i < STREAMS.length; i++) {
      const stream = STREAMS[(this.nextStream + i) % STREAMS.length]!
      const rows = this.readIntactRows(stream, this.cursor.get(stream) ?? 0, maxRecordsPerBatch, maxBatchBytes)
      if (rows.length === 0) continue
      this.nextStream = (this.nextStream + i + 1) % STREAMS.length
      const batch: InflightBatch = {
        stream,
        firstSeq: rows[0]!.seq,
        lastSeq: rows[rows.length - 1]!.seq,
        count: rows.length,
        refusals: 0,
        sentAtMs: Number.POSITIVE_INFINITY,
      }
      this.cursor.set(stream, batch.lastSeq)
      this.inflight.add(batch)
      this.o.counters.published += batch.count
      const encoded = encodeBatch({ deviceId: this.o.deviceId, kind: this.o.kind, stream }, rows, this.o.config.compression)
      // Compression runs in parallel on the libuv pool, but PUBLISHes leave in read order: the router's
      // per-stream high-water mark would drop a lower batch that arrived after a higher one as a replay.
      this.sendChain = this.sendChain.then(() =>
        encoded.then(
          (payload) => this.send(batch, payload),
          (err: Error) => this.failed(batch, new AgentError('AGENT_MQTT_ERROR', `encoding a batch: ${err.message}`, { cause: err })),
        ),
      )
      return batch
    }
    return undefined
  }

  /**
   * The next rows of `stream`, each checked as it is read back: a row damaged on disk is quarantined (counted)
   * instead of sent, so it cannot make the cloud refuse the good records batched with it.
   */
  private readIntactRows(stream: StreamName, afterSeq: number, maxRecords: number, maxBatchBytes: number): OutboxRow[] {
    for (;;) {
      const rows = this.o.outbox.readBatch(stream, afterSeq, maxRecords, maxBatchBytes - ENVELOPE_OVERHEAD_BYTES, PER_RECORD_OVERHEAD_BYTES)
      let intact: OutboxRow[] | undefined
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i]!
        const reason = damagedRowReason(stream, row.data)
        if (reason === undefined) {
          intact?.push(row)
          continue
        }
        intact ??= rows.slice(0, i)
        this.o.counters.quarantined += this.o.outbox.quarantineDamaged(stream, row.seq, reason)
        this.o.onError(new AgentError('AGENT_ROW_DAMAGED', `${stream} seq ${row.seq} quarantined: ${reason}`))
        this.o.logger.error({ stream, seq: row.seq, reason }, 'damaged outbox row quarantined')
      }
      // All damaged: they are gone now, read on.
      if (intact === undefined || intact.length > 0 || rows.length === 0) return intact ?? rows
    }
  }

  private send(batch: InflightBatch, payload: Buffer): void {
    batch.sentAtMs = Date.now()
    this.o.session.publish(this.topics[batch.stream], payload, { qos: 1 }).then(
      () => this.acked(batch),
      (err: AgentError & { reasonCode?: number }) => this.refusedOrFailed(batch, payload, err),
    )
  }

  private acked(batch: InflightBatch): void {
    this.o.committer.delete(batch)
    this.o.counters.acked += batch.count
    this.settle(batch)
  }

  private refusedOrFailed(batch: InflightBatch, payload: Buffer, err: AgentError & { reasonCode?: number }): void {
    this.o.onError(err)
    if (!isAgentError(err, 'AGENT_PUBLISH_REFUSED') || (err.reasonCode ?? 0) < FIRST_FAILURE_REASON_CODE) {
      this.failed(batch, err)
      return
    }
    batch.refusals++
    const log = { stream: batch.stream, firstSeq: batch.firstSeq, lastSeq: batch.lastSeq, reasonCode: err.reasonCode }
    if (batch.refusals < this.o.config.maxRefusals && !this.closing) {
      this.o.logger.warn({ ...log, refusals: batch.refusals }, 'broker refused a batch; retrying')
      setTimeout(() => this.send(batch, payload), 100 * 2 ** batch.refusals)
      return
    }
    try {
      const moved = this.o.outbox.quarantine({ ...batch, reasonCode: err.reasonCode ?? null, reason: err.message })
      this.o.counters.quarantined += moved
      this.o.logger.error({ ...log, moved }, 'batch quarantined after repeated refusals')
    } catch (qErr) {
      this.o.onError(qErr as AgentError)
    }
    this.settle(batch)
  }

  /** Not a broker verdict (session closed, encoding failed): read the rows again later. */
  private failed(batch: InflightBatch, err: AgentError): void {
    this.o.logger.warn({ stream: batch.stream, firstSeq: batch.firstSeq, err: err.message }, 'batch not delivered; will resend')
    const c = this.cursor.get(batch.stream) ?? 0
    this.cursor.set(batch.stream, Math.min(c, batch.firstSeq - 1))
    this.settle(batch)
  }

  private settle(batch: InflightBatch): void {
    this.inflight.delete(batch)
    if (this.inflight.size === 0) for (const w of this.idleWaiters.splice(0)) w()
    this.pump()
  }

  /** Stops sending new batches and waits (up to `timeoutMs`) for the PUBACKs of those in flight. */
  async close(timeoutMs: number): Promise<void> {
    this.closing = true
    this.offConnect()
    clearInterval(this.watchdog)
    if (this.pumpTimer) clearTimeout(this.pumpTimer)
    if (this.inflight.size === 0 || !this.o.session.connected) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs)
      this.idleWaiters.push(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  /** Sends what is queued, then resolves once nothing is in flight (or after `timeoutMs`). */
  async flush(timeoutMs: number): Promise<void> {
    this.pump()
    if (this.inflight.size === 0) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs)
      this.idleWaiters.push(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  }
}
