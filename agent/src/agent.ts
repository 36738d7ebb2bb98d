import { join } from 'node:path'
import {
  type AgentConfig,
  type HealthReport,
  type StreamName,
  type StreamRecordMap,
  telemetryTopic,
  type VehiclePosition,
} from '@edgetwin/shared-schemas'
import type { Logger } from 'pino'
import { type AcceptManyResult, type AcceptResult, checkStream, encodeRecord, plainValue } from './accept.js'
import { acceptMany } from './accept-many.js'
import { parseAgentConfig, resolveBrokerPassword } from './config/load-config.js'
import { AgentError, isAgentError } from './errors.js'
import { AGENT_EXTENSIONS, type AgentExtension, type AgentHost, type ControllerParametersView } from './extensions.js'
import { POSITION_FILTER_STATE_KEY, PositionFilter } from './filters/distance-filter.js'
import { createResidencyAdmission, type ResidencyAdmission } from './gateway/admission.js'
import { LastError, newCounters } from './health/counters.js'
import { buildHealthReport, buildWillPayload } from './health/health-report.js'
import { createAgentLogger } from './logger.js'
import type { MqttSession } from './mqtt/session.js'
import { loadTlsMaterial } from './mqtt/tls.js'
import { GroupCommitter } from './outbox/group-commit.js'
import type { SqliteOutbox } from './outbox/outbox.js'
import { openOutbox, type SalvageReport } from './outbox/salvage.js'
import { translateSqliteError } from './outbox/sqlite-errors.js'
import { ENVELOPE_OVERHEAD_BYTES, PER_RECORD_OVERHEAD_BYTES } from './publish/envelope-batch.js'
import { Publisher } from './publish/publisher.js'
import { type AgentTransport, createTransport } from './transport/transport.js'

export interface AgentDeps {
  readonly logger?: Logger
  /** Environment for secrets named in the config (`broker.passwordEnv`). @default process.env */
  readonly env?: NodeJS.ProcessEnv
  /** Outbox overrides; `maxPageCount` caps the database size (SQLite max_page_count), to exercise disk-full. */
  readonly outbox?: { readonly maxPageCount?: number }
  /** How long close() waits for the PUBACKs of batches in flight. @default 5000 */
  readonly closeTimeoutMs?: number
}

/** The device agent (see agent-api.md). */
export interface Agent {
  readonly config: Readonly<AgentConfig>
  readonly mqtt: MqttSession
  /** The turbine controller parameter store, when an extension (the jobs client) provides one. */
  readonly controller: ControllerParametersView | undefined
  start(): Promise<void>
  /** Resolves once the record is committed to SQLite (or filtered); rejects with a coded AgentError. */
  accept<S extends StreamName>(stream: S, record: StreamRecordMap[S] | unknown): Promise<AcceptResult>
  /**
   * Many records of one stream, one promise for all: every record is validated first (one invalid record rejects
   * the call, naming its index, and stores none); then each one's outcome, in order, once all are durable.
   */
  acceptMany<S extends StreamName>(stream: S, records: readonly (StreamRecordMap[S] | unknown)[]): Promise<AcceptManyResult[]>
  health(): HealthReport
  onAccepted(listener: (stream: StreamName, record: unknown, seq: number) => void): () => void
  close(): Promise<void>
}

/** Creates an agent from an unvalidated config (validated here against the shared AgentConfig schema). */
export function createAgent(config: unknown, deps: AgentDeps = {}): Agent {
  return new EdgeAgent(parseAgentConfig(config), deps)
}

class EdgeAgent implements Agent {
  readonly config: Readonly<AgentConfig>
  readonly mqtt: AgentTransport
  private readonly log: Logger
  /**
   * The logger components derive theirs from. pino does not replace a binding in a child, it repeats it: a
   * `component` child of `this.log` would print `"component"` twice, so children come from this one.
   */
  private readonly baseLog: Logger
  private readonly counters = newCounters()
  private readonly lastError = new LastError()
  private readonly acceptedListeners = new Set<(stream: StreamName, record: unknown, seq: number) => void>()
  private readonly positionFilter: PositionFilter | undefined
  /** Gateway agents only: the one place that decides what may leave the site (every accept passes it). */
  private readonly residency: ResidencyAdmission | undefined
  private readonly maxRecordBytes: number
  private readonly extensions: AgentExtension[] = []
  private readonly timers: NodeJS.Timeout[] = []
  private outbox: SqliteOutbox | undefined
  private committer: GroupCommitter | undefined
  private publisher: Publisher | undefined
  private state: 'new' | 'starting' | 'started' | 'closing' | 'closed' = 'new'
  private closed: Promise<void> | undefined

  constructor(
    config: Readonly<AgentConfig>,
    private readonly deps: AgentDeps,
  ) {
    this.config = config
    this.baseLog = deps.logger ?? createAgentLogger(config.logLevel, config.deviceId)
    this.log = this.baseLog.child({ component: 'agent' })
    this.residency = createResidencyAdmission(config, this.log)
    if (config.kind === 'vehicle') this.positionFilter = new PositionFilter(config.vehicle ?? { distanceFilterM: 30, minIntervalS: 0 })
    // A record must fit in a message on its own, uncompressed: anything larger could never be sent.
    this.maxRecordBytes = Math.min(
      config.outbox.maxRecordBytes,
      config.publish.maxBatchBytes - ENVELOPE_OVERHEAD_BYTES - PER_RECORD_OVERHEAD_BYTES,
    )
    const b = config.broker
    const password = resolveBrokerPassword(config, deps.env)
    this.mqtt = createTransport(
      b,
      {
        url: b.url,
        protocolVersion: b.protocolVersion,
        clientId: b.clientId ?? config.deviceId,
        keepaliveS: b.keepaliveS,
        ...(b.username !== undefined ? { username: b.username } : {}),
        ...(password !== undefined ? { password } : {}),
        // The SDK transport reads the files itself (its TLS is aws-crt's); see sdk-connect-plan.ts.
        ...(b.tls && b.transport !== 'aws-iot-sdk' ? { tls: loadTlsMaterial(b.tls) } : {}),
        reconnect: config.reconnect,
        will: () => this.will(),
        logger: this.baseLog.child({ component: 'mqtt' }),
        onError: (err) => this.lastError.record(err),
      },
      deps.env,
    )
  }

  get controller(): ControllerParametersView | undefined {
    return this.extensions.find((e) => e.controller)?.controller
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new AgentError('AGENT_CLOSED', `start() called on an agent that is ${this.state}`)
    this.state = 'starting'
    const c = this.config
    const opened = openOutbox(
      {
        path: join(c.dataDir, 'outbox.db'),
        synchronous: c.outbox.synchronous,
        maxBytes: c.outbox.maxBytes,
        ...(c.outbox.maxAgeS ? { maxAgeMs: c.outbox.maxAgeS * 1000 } : {}),
        eviction: c.outbox.eviction,
        evictionOrder: c.outbox.evictionOrder,
        ...(this.deps.outbox?.maxPageCount ? { maxPageCount: this.deps.outbox.maxPageCount } : {}),
      },
      this.log,
    )
    this.outbox = opened.outbox
    this.log.info({ path: this.outbox.path, queued: this.outbox.depth() }, 'outbox opened')
    const lastKept = this.positionFilter && this.outbox.readState(POSITION_FILTER_STATE_KEY)
    if (lastKept) this.positionFilter!.restore(JSON.parse(lastKept) as VehiclePosition)
    this.committer = new GroupCommitter(
      this.outbox,
      { maxRecords: c.outbox.groupCommitMaxRecords, maxDelayMs: c.outbox.groupCommitMaxDelayMs },
      {
        onCommit: (result) => {
          if (result.evicted > 0) this.counters.evicted += result.evicted
          this.publisher?.pump()
        },
        onError: (err) => this.lastError.record(err),
      },
    )
    this.publisher = new Publisher({
      deviceId: c.deviceId,
      kind: c.kind,
      config: c.publish,
      outbox: this.outbox,
      committer: this.committer,
      session: this.mqtt,
      counters: this.counters,
      logger: this.baseLog.child({ component: 'publisher' }),
      onError: (err) => this.lastError.record(err),
    })
    if (c.outbox.maxAgeS) {
      const everyMs = Math.max(1000, Math.min(60_000, (c.outbox.maxAgeS * 1000) / 10))
      this.timers.push(setInterval(() => this.expire(), everyMs))
    }
    if (c.healthIntervalS > 0) this.timers.push(setInterval(() => void this.publishHealth(), c.healthIntervalS * 1000))
    this.state = 'started'
    if (opened.salvage) await this.reportSalvage(opened.salvage)
    this.mqtt.start()
    try {
      const host = this.host()
      for (const factory of AGENT_EXTENSIONS) {
        const ext = factory(host)
        if (!ext) continue
        await ext.start()
        this.extensions.push(ext)
      }
    } catch (err) {
      // A failing extension (a missing secret, a loose file mode) fails the whole agent: close what was started
      // so the MQTT connection and the outbox lock are released and `agent run` exits non-zero.
      this.log.error({ err }, 'an extension failed to start; closing the agent')
      await this.close()
      throw err
    }
  }

  private host(): AgentHost {
    return {
      config: this.config,
      // Extensions add their own `component`.
      logger: this.baseLog,
      mqtt: this.mqtt,
      dataDir: this.config.dataDir,
      ...(this.deps.env ? { env: this.deps.env } : {}),
      accept: (stream, record) => this.accept(stream, record),
      onAccepted: (l) => this.onAccepted(l),
    }
  }

  private assertAccepting(): void {
    if (this.state !== 'started') {
      throw new AgentError(
        this.state === 'new' || this.state === 'starting' ? 'AGENT_NOT_STARTED' : 'AGENT_CLOSED',
        `agent is ${this.state}`,
      )
    }
  }

  acceptMany<S extends StreamName>(stream: S, records: readonly (StreamRecordMap[S] | unknown)[]): Promise<AcceptManyResult[]> {
    this.assertAccepting()
    return acceptMany(
      {
        maxRecordBytes: this.maxRecordBytes,
        counters: this.counters,
        lastError: this.lastError,
        committer: this.committer!,
        listeners: this.acceptedListeners,
        // Filters decide record by record, in order, with state that commits with each kept record: as accept does.
        oneByOne: this.residency || (stream === 'position' && this.positionFilter) ? (r) => this.accept(stream, r) : undefined,
      },
      stream,
      records,
    )
  }

  async accept<S extends StreamName>(stream: S, record: StreamRecordMap[S] | unknown): Promise<AcceptResult> {
    this.assertAccepting()
    let encoded: ReturnType<typeof encodeRecord>
    try {
      if (this.residency) {
        // The policy reads the record's JSON form, never the caller's object (getters, toJSON, Proxies).
        const admitted = this.residency.admit(stream, plainValue(checkStream(stream), record))
        if (admitted.denied) {
          this.counters.filtered++
          return { seq: null, filtered: 'residency' }
        }
        record = admitted.record
      }
      encoded = encodeRecord(stream, record, this.maxRecordBytes)
    } catch (err) {
      this.counters.rejected++
      throw err
    }
    const { stream: s, data } = encoded
    let kept: { position: VehiclePosition; previous: VehiclePosition | undefined } | undefined
    if (s === 'position' && this.positionFilter) {
      const position = encoded.value as VehiclePosition
      const d = this.positionFilter.decide(position)
      if (!d.keep) {
        this.counters.filtered++
        return { seq: null, filtered: d.reason }
      }
      kept = { position, previous: d.previous }
    }
    // Kept across the commit only for listeners: otherwise the validated value dies young instead of surviving
    // the commit's wait into the old generation (GC was 13-20 % of the bench's profile).
    const value = this.acceptedListeners.size > 0 ? encoded.value : undefined
    let seq: number
    try {
      // The filter's last kept position commits with the record, so a restart filters exactly as before it.
      const state = kept ? { key: POSITION_FILTER_STATE_KEY, value: data } : undefined
      seq = await this.committer!.insert(s, data, encoded.bytes, state)
    } catch (err) {
      if (kept) this.positionFilter!.revert(kept.position, kept.previous)
      this.counters.rejected++
      if (isAgentError(err)) this.lastError.record(err)
      throw err
    }
    this.counters.accepted++
    if (this.acceptedListeners.size > 0) {
      // A listener added during the commit gets the stored text's value too: parsed from what was validated.
      const record = value ?? JSON.parse(data)
      for (const l of this.acceptedListeners) l(s, record, seq)
    }
    return { seq }
  }

  health(): HealthReport {
    const o = this.outbox
    return buildHealthReport({
      deviceId: this.config.deviceId,
      connection: this.state === 'closed' ? 'disconnected' : this.mqtt.state,
      queueDepth: o?.depth() ?? 0,
      queueBytes: o?.totalBytes() ?? 0,
      oldestCreatedMs: o && this.state !== 'closed' ? this.oldestOrNull(o) : null,
      inflight: this.publisher?.inflightCount ?? 0,
      counters: { ...this.counters, reconnects: this.mqtt.reconnects },
      lastError: this.lastError.get(),
      nowMs: Date.now(),
    })
  }

  onAccepted(listener: (stream: StreamName, record: unknown, seq: number) => void): () => void {
    this.acceptedListeners.add(listener)
    return () => this.acceptedListeners.delete(listener)
  }

  /** Says what a damaged outbox cost: last error in health, and an event that reaches the cloud. */
  private async reportSalvage(r: SalvageReport): Promise<void> {
    const ranges = r.unreadable.map((u) => `${u.stream} ${u.firstSeq}-${u.lastSeq ?? 'end'}`).join(', ')
    const message = `outbox replaced (${r.cause}): ${r.salvagedRecords} records salvaged; unreadable: ${ranges || 'none'}${r.movedTo ? `; damaged file kept at ${r.movedTo}` : ''}`
    this.lastError.record(new AgentError('AGENT_OUTBOX_SALVAGED', message))
    const event = {
      time: new Date().toISOString(),
      type: 'agent.outbox-salvaged',
      severity: 'critical' as const,
      message: message.slice(0, 1024),
      data: {
        cause: r.cause,
        salvagedRecords: r.salvagedRecords,
        unreadableRanges: r.unreadable.length,
        quarantineLost: r.quarantineLost,
        movedTo: r.movedTo?.slice(-1024) ?? null,
      },
    }
    try {
      await this.accept('events', event)
    } catch (err) {
      this.log.error({ err }, 'could not store the outbox-salvaged event')
    }
  }

  /** The oldest record's commit time; null when the disk cannot read it (health always answers; the error is kept). */
  private oldestOrNull(o: SqliteOutbox): number | null {
    try {
      return o.oldestCreatedMs()
    } catch (err) {
      this.lastError.record(translateSqliteError(err, 'reading the oldest record for health'))
      return null
    }
  }

  private expire(): void {
    try {
      this.counters.evicted += this.outbox!.expire()
    } catch (err) {
      this.lastError.record(err as AgentError)
    }
  }

  private async publishHealth(): Promise<void> {
    try {
      await this.accept('health', this.health())
    } catch (err) {
      this.log.warn({ err }, 'health report not stored')
    }
  }

  private will(): { topic: string; payload: Buffer } | undefined {
    if (!this.outbox || this.state !== 'started') return undefined
    // The will is a health report the broker publishes for us; it too may leave a gateway's site only if allowed.
    if (this.residency && !this.residency.allows('health')) return undefined
    try {
      const seq = this.outbox.reserveSeq('health')
      const topic = telemetryTopic(this.config.kind, this.config.deviceId, 'health')
      return { topic, payload: buildWillPayload(this.config.deviceId, this.config.kind, seq, this.health()) }
    } catch (err) {
      this.lastError.record(err as AgentError)
      return undefined
    }
  }

  close(): Promise<void> {
    this.closed ??= this.doClose()
    return this.closed
  }

  private async doClose(): Promise<void> {
    const wasStarted = this.state === 'started'
    this.state = 'closing'
    for (const t of this.timers) clearInterval(t)
    for (const ext of this.extensions.reverse()) {
      try {
        await ext.close()
      } catch (err) {
        this.log.error({ err, extension: ext.name }, 'extension failed to close')
      }
    }
    if (wasStarted) {
      // Awaited: a group's rows are sent only once its WAL sync completed (outbox/wal-sync.ts).
      await this.committer!.flush()
      await this.publisher!.flush(this.deps.closeTimeoutMs ?? 5000)
      await this.publisher!.close(0)
      await this.committer!.flush()
    }
    await this.mqtt.close()
    this.outbox?.close()
    this.state = 'closed'
    this.log.info('agent closed')
  }
}
