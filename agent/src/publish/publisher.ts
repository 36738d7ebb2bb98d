import { type DeviceKind, type PublishConfig, STREAMS, type Static, type StreamName, telemetryTopic } from '@edgetwin/shared-schemas'
import type { Logger } from 'pino'
import { AgentError, isAgentError } from '../errors.js'
import { countQuarantined, type HealthCounters, type QuarantineKind } from '../health/counters.js'
import type { GroupCommitter } from '../outbox/group-commit.js'
import type { SqliteOutbox } from '../outbox/outbox.js'
import type { AgentTransport } from '../transport/transport.js'
import { BatchReader, PACKET_OVERHEAD_BYTES } from './batch-reader.js'
import { encodeBatch } from './envelope-batch.js'
import { firstOverdue, IdleWaiters, type InflightBatch, inflightBatch } from './inflight.js'
import { RateLimiter } from './rate-limiter.js'
import { DropSuspects, quarantineVerdict } from './suspects.js'

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

/** A drop this soon after the oldest unacknowledged PUBLISH went out is blamed on it (brokers close at once). */
const SUSPECT_WINDOW_MS = 5000
/** MQTT 3.1.1: how long the connection must outlive a PUBACK before its rows are deleted. */
const ACK_SETTLE_MS = 500

/**
 * Batches read but not yet handed to MQTT (waiting for or in compression). Rows are read only as compression can
 * take them, not for the whole window at once: 100 batches of rows (~15 MB of 200-byte records) waited in memory
 * for their turn at gzip. Twice the libuv pool's four threads keeps the pool busy.
 */
const MAX_BATCHES_ENCODING = 8

/** MQTT 5 reason codes of 0x80 and above are failures (MQTT 5.0 section 2.4). */
const FIRST_FAILURE_REASON_CODE = 0x80
/** "Packet too large": MQTT 5 lists it for CONNACK and DISCONNECT; Mosquitto answers a PUBLISH with it (MQTT.js then
 * fails the connection, see DropSuspects); a transport that passes it through lands in the refusal path. */
const PACKET_TOO_LARGE = 0x95

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
  /** Batches in `sendChain` not yet handed to MQTT (see MAX_BATCHES_ENCODING). */
  private encoding = 0
  private pumpTimer: NodeJS.Timeout | undefined
  private closing = false
  private readonly idle = new IdleWaiters()
  private readonly offConnect: () => void
  private readonly offDisconnect: () => void
  private readonly watchdog: NodeJS.Timeout
  private readonly suspects: DropSuspects
  private readonly reader: BatchReader
  /** MQTT 3.1.1: the latest acknowledged batch, until the connection has outlived its PUBACK. */
  private unsettledAck: { batch: InflightBatch; atMs: number; timer: NodeJS.Timeout } | undefined
  /** Streams whose refusals (reason code >= 0x80) came with a dropped connection. */
  private readonly refusalDrops = new Set<StreamName>()
  /** The coming drop is ours (acknowledgement watchdog), not the broker's verdict on a message. */
  private droppingForAckTimeout = false

  constructor(private readonly o: PublisherOptions) {
    this.limiter = o.config.maxPublishesPerSecond ? new RateLimiter(o.config.maxPublishesPerSecond) : undefined
    this.topics = Object.fromEntries(STREAMS.map((s) => [s, telemetryTopic(o.kind, o.deviceId, s)])) as Record<StreamName, string>
    this.suspects = new DropSuspects(o.config.maxRefusals, o.config.refusedStreamHoldS * 1000)
    this.reader = new BatchReader({
      outbox: o.outbox,
      maxRecordsPerBatch: o.config.maxRecordsPerBatch,
      maxBatchBytes: o.config.maxBatchBytes,
      counters: o.counters,
      logger: o.logger,
      onError: o.onError,
    })
    this.offConnect = o.session.onConnect(() => this.pump())
    this.offDisconnect = o.session.onDisconnect(() => this.connectionLost())
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
    const b = firstOverdue(this.inflight, now, this.o.config.ackTimeoutMs)
    if (!b) return
    const err = new AgentError(
      'AGENT_ACK_TIMEOUT',
      `no PUBACK for ${b.stream} seqs ${b.firstSeq}-${b.lastSeq} after ${now - b.sentAtMs} ms; reconnecting`,
    )
    this.o.logger.warn({ stream: b.stream, firstSeq: b.firstSeq, lastSeq: b.lastSeq }, err.message)
    this.o.onError(err)
    this.droppingForAckTimeout = true
    this.o.session.dropConnection()
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
    while (this.inflight.size < this.window && this.encoding < MAX_BATCHES_ENCODING) {
      for (const b of this.inflight) if (b.alone) return
      // 3.1.1: a suspect's PUBACK is not the verdict yet; the connection must outlive it first.
      if (this.unsettledAck?.batch.alone) return
      if (this.limiter && !this.limiter.tryTake()) {
        this.pumpTimer ??= setTimeout(() => {
          this.pumpTimer = undefined
          this.pump()
        }, this.limiter.waitMs())
        return
      }
      if (!this.nextBatch()) return
    }
  }

  /** Reads the next batch, round-robin over streams so that bulk metrics cannot starve events. */
  private nextBatch(): InflightBatch | undefined {
    const now = Date.now()
    for (let i = 0; i < STREAMS.length; i++) {
      const stream = STREAMS[(this.nextStream + i) % STREAMS.length]!
      if (this.suspects.isHeld(stream, now)) {
        this.wakeAt(this.suspects.nextReleaseMs())
        continue
      }
      const rows = this.reader.next(stream, this.cursor.get(stream) ?? 0, this.topics[stream], this.o.session.maximumPacketSize)
      if (rows.length === 0) {
        this.wakeAt(this.reader.retryAtMs) // a failed read: try again later
        continue
      }
      this.nextStream = (this.nextStream + i + 1) % STREAMS.length
      const alone = this.suspects.isSuspect(stream, rows[0]!.seq)
      if (alone && this.inflight.size > 0) return undefined // sent alone once the window is empty
      const batch = inflightBatch(stream, rows, alone)
      this.cursor.set(stream, batch.lastSeq)
      this.inflight.add(batch)
      this.o.counters.published += batch.count
      const encoded = encodeBatch({ deviceId: this.o.deviceId, kind: this.o.kind, stream }, rows, this.o.config.compression)
      // Compression runs in parallel on the libuv pool, but PUBLISHes leave in read order: the router's
      // per-stream high-water mark would drop a lower batch that arrived after a higher one as a replay.
      this.sendChain = this.sendChain
        .then(() =>
          encoded.then(
            (payload) => this.send(batch, payload),
            (err: Error) => this.failed(batch, new AgentError('AGENT_MQTT_ERROR', `encoding a batch: ${err.message}`, { cause: err })),
          ),
        )
        // A link that failed must not stop every later send (a rejected chain skips them all).
        .catch((err: Error) => {
          this.failed(batch, new AgentError('AGENT_MQTT_ERROR', `sending a batch: ${err.message}`, { cause: err }))
        })
        .then(() => {
          this.encoding--
          this.pump()
        })
      this.encoding++
      return batch
    }
    return undefined
  }

  private wakeAt(atMs: number | undefined): void {
    if (atMs === undefined || this.pumpTimer) return
    this.pumpTimer = setTimeout(
      () => {
        this.pumpTimer = undefined
        this.pump()
      },
      Math.max(10, atMs - Date.now()),
    )
  }

  private send(batch: InflightBatch, payload: Buffer): void {
    if (batch.abandoned || this.closing) return
    const announced = this.o.session.maximumPacketSize
    if (announced && payload.length + this.topics[batch.stream].length + PACKET_OVERHEAD_BYTES > announced) {
      this.tooLargeForBroker(batch, `its ${payload.length}-byte message exceeds the broker's Maximum Packet Size of ${announced} bytes`)
      return
    }
    batch.sentAtMs = Date.now()
    this.o.session.publish(this.topics[batch.stream], payload, { qos: 1 }).then(
      () => this.acked(batch),
      (err: AgentError & { reasonCode?: number }) => this.refusedOrFailed(batch, payload, err),
    )
  }

  private acked(batch: InflightBatch): void {
    if (batch.abandoned) return
    if (this.o.session.protocolVersion === 4) {
      // MQTT 3.1.1: Mosquitto acknowledges a publish its ACL denies, then closes the connection. An ack is final
      // only once the connection outlived it (ACK_SETTLE_MS, or a later ack): until then its rows stay.
      this.settleAck()
      this.unsettledAck = {
        batch,
        atMs: Date.now(),
        timer: setTimeout(() => {
          this.settleAck()
          this.pump()
        }, ACK_SETTLE_MS),
      }
    } else this.confirmAck(batch)
    this.settle(batch)
  }

  private settleAck(): void {
    const u = this.unsettledAck
    if (!u) return
    this.unsettledAck = undefined
    clearTimeout(u.timer)
    this.confirmAck(u.batch)
  }

  private confirmAck(batch: InflightBatch): void {
    this.suspects.clear(batch.stream, batch.firstSeq)
    this.suspects.release(batch.stream)
    this.o.committer.delete(batch)
    this.o.counters.acked += batch.count
  }

  private refusedOrFailed(batch: InflightBatch, payload: Buffer, err: AgentError & { reasonCode?: number }): void {
    if (batch.abandoned) return // its connection closed: connectionLost() has dealt with it
    this.o.onError(err)
    if (!isAgentError(err, 'AGENT_PUBLISH_REFUSED') || (err.reasonCode ?? 0) < FIRST_FAILURE_REASON_CODE) {
      this.failed(batch, err)
      return
    }
    batch.refusals = this.suspects.refused(batch.stream, batch.firstSeq)
    const log = { stream: batch.stream, firstSeq: batch.firstSeq, lastSeq: batch.lastSeq, reasonCode: err.reasonCode }
    if (batch.refusals < this.o.config.maxRefusals && !this.closing) {
      this.o.logger.warn({ ...log, refusals: batch.refusals }, 'broker refused a batch; retrying')
      setTimeout(() => this.send(batch, payload), 100 * 2 ** batch.refusals)
      return
    }
    this.quarantine(batch, err.reasonCode === PACKET_TOO_LARGE ? 'too-large' : 'refused', err.reasonCode ?? null, err.message)
    // A broker that also closed the connection over each refusal (Mosquitto 2) would keep dropping it for every
    // later batch of the stream: hold the stream back before trying it again.
    if (this.refusalDrops.delete(batch.stream)) {
      const holdMs = this.suspects.hold(batch.stream, Date.now())
      this.o.logger.error({ ...log, holdMs }, 'stream refused by the broker, which closes the connection over it; held back')
    }
    this.settle(batch)
  }

  private quarantine(batch: InflightBatch, kind: QuarantineKind, reasonCode: number | null, reason: string): void {
    try {
      const moved = this.o.outbox.quarantine({ ...batch, reasonCode, reason })
      countQuarantined(this.o.counters, kind, moved)
      this.o.logger.error(
        { stream: batch.stream, firstSeq: batch.firstSeq, lastSeq: batch.lastSeq, reasonCode, reason, moved },
        'batch quarantined',
      )
    } catch (qErr) {
      this.o.onError(qErr as AgentError)
    }
    this.suspects.clear(batch.stream, batch.firstSeq)
  }

  /** A batch too large for the broker: fewer records per batch of its stream, or, a single record, quarantined. */
  private tooLargeForBroker(batch: InflightBatch, why: string): void {
    if (batch.count > 1) {
      this.reader.halve(batch.stream, batch.recordBytes)
      this.o.logger.warn(
        { stream: batch.stream, firstSeq: batch.firstSeq, why },
        'batch too large for the broker; sending fewer records per batch',
      )
      this.failed(batch, new AgentError('AGENT_MESSAGE_TOO_LARGE', why))
      return
    }
    const reason = `record too large for the broker: ${why}`
    this.o.onError(new AgentError('AGENT_MESSAGE_TOO_LARGE', `${batch.stream} seq ${batch.firstSeq}: ${reason}`))
    this.quarantine(batch, 'too-large', null, reason)
    this.settle(batch)
  }

  /**
   * The connection closed: every batch in flight is abandoned (MQTT.js does not re-send; the rows are read and
   * sent again, same seqs). When the broker closed it right after the oldest of them went out, that batch is
   * suspected of causing it (see DropSuspects): it is sent alone next time, split, or quarantined.
   */
  private connectionLost(): void {
    const ours = this.droppingForAckTimeout
    this.droppingForAckTimeout = false
    const now = Date.now()
    // MQTT 3.1.1: a close right after an ack may be over the acked batch (Mosquitto acks an oversized message,
    // then closes) or over the first unacknowledged one (it closes on an ACL denial without acking): both are
    // suspects, each sent alone next time, which tells them apart. The acked one's rows are still stored.
    const u = this.unsettledAck
    let acked: InflightBatch | undefined
    if (u && !ours && now - u.atMs <= ACK_SETTLE_MS) {
      clearTimeout(u.timer)
      this.unsettledAck = undefined
      acked = u.batch
      acked.sentAtMs = now
    } else this.settleAck()
    let firstUnacked: InflightBatch | undefined
    for (const b of this.inflight) {
      if (!firstUnacked && b.sentAtMs !== Number.POSITIVE_INFINITY) firstUnacked = b
      this.abandon(b)
    }
    if (acked) this.abandon(acked)
    this.inflight.clear()
    this.idle.releaseAll()
    if (ours || this.closing) return
    const suspects = [acked, firstUnacked].filter((b): b is InflightBatch => b !== undefined && now - b.sentAtMs <= SUSPECT_WINDOW_MS)
    for (const suspect of suspects) this.blame(suspect, now, suspects.length === 1)
  }

  private abandon(b: InflightBatch): void {
    b.abandoned = true
    const c = this.cursor.get(b.stream) ?? 0
    this.cursor.set(b.stream, Math.min(c, b.firstSeq - 1))
  }

  /** The connection closed right after `oldest` went out (or was acknowledged, under 3.1.1). */
  private blame(oldest: InflightBatch, now: number, sole: boolean): void {
    this.o.session.explainDrop()
    this.nextStream = STREAMS.indexOf(oldest.stream)
    if (oldest.refusals > 0) {
      // Refused with a reason code, then disconnected: the refusal path counts it; remember the drop.
      this.refusalDrops.add(oldest.stream)
      return
    }
    const verdict = this.suspects.dropped(oldest.stream, oldest.firstSeq, oldest.count)
    const log = { stream: oldest.stream, firstSeq: oldest.firstSeq, lastSeq: oldest.lastSeq, drops: verdict.drops }
    // Two suspects: each is sent alone first; only a batch blamed on its own is split (it may be too large).
    if (verdict.action === 'split' && !sole) {
      this.o.logger.warn(log, 'the broker closed the connection right after this batch or the one beside it; sending each alone next')
    } else if (verdict.action === 'split') {
      this.tooLargeForBroker(oldest, 'the broker closed the connection right after it (too large for it, or refused)')
    } else if (verdict.action === 'retry-alone') {
      this.o.logger.warn(log, 'the broker closed the connection right after this batch; sending it alone next')
    } else {
      const { code, kind, reason } = quarantineVerdict(verdict, this.o.session.protocolVersion === 5)
      this.o.onError(new AgentError(code, `${oldest.stream} seqs ${oldest.firstSeq}-${oldest.lastSeq}: ${reason}`))
      this.quarantine(oldest, kind, null, reason)
      if (verdict.hold) {
        const holdMs = this.suspects.hold(oldest.stream, now)
        this.o.logger.error({ ...log, holdMs }, 'stream refused by the broker; held back before it is tried again')
      } else this.suspects.strike(oldest.stream)
    }
  }

  /** Not a broker verdict (session closed, encoding failed): read the rows again later. */
  private failed(batch: InflightBatch, err: AgentError): void {
    if (batch.abandoned) return
    this.o.logger.warn({ stream: batch.stream, firstSeq: batch.firstSeq, err: err.message }, 'batch not delivered; will resend')
    const c = this.cursor.get(batch.stream) ?? 0
    this.cursor.set(batch.stream, Math.min(c, batch.firstSeq - 1))
    this.settle(batch)
  }

  private settle(batch: InflightBatch): void {
    this.inflight.delete(batch)
    if (this.inflight.size === 0) this.idle.releaseAll()
    this.pump()
  }

  /** Stops sending new batches and waits (up to `timeoutMs`) for the PUBACKs of those in flight. */
  async close(timeoutMs: number): Promise<void> {
    this.closing = true
    this.offConnect()
    this.offDisconnect()
    this.settleAck()
    clearInterval(this.watchdog)
    if (this.pumpTimer) clearTimeout(this.pumpTimer)
    if (this.inflight.size === 0 || !this.o.session.connected) return
    await this.idle.wait(timeoutMs)
  }

  /** Sends what is queued, then resolves once nothing is in flight (or after `timeoutMs`). */
  async flush(timeoutMs: number): Promise<void> {
    this.pump()
    if (this.inflight.size === 0) return
    await this.idle.wait(timeoutMs)
  }
}
