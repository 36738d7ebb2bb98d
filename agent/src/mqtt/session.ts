import { randomBytes } from 'node:crypto'
import mqtt, { ErrorWithReasonCode, type IClientOptions, type MqttClient } from 'mqtt'
import type { Logger } from 'pino'
import { AgentError } from '../errors.js'
import { type BackoffOptions, ReconnectSchedule } from './backoff.js'
import { PendingAcks, SubscriptionTable } from './session-state.js'
import type { TlsMaterial } from './tls.js'

/** The agent's one MQTT connection, shared with the jobs client (see agent-api.md). */
export interface MqttSession {
  readonly connected: boolean
  /** Resolves on PUBACK for QoS 1 (on write for QoS 0). Rejects with the broker's MQTT 5 reason code, if any. */
  publish(topic: string, payload: string | Buffer, opts?: { qos?: 0 | 1 }): Promise<void>
  /** QoS 1 subscription, kept across reconnects. */
  subscribe(filter: string, handler: (topic: string, payload: Buffer) => void): Promise<void>
  /** After every (re)connect, subscriptions already restored. */
  onConnect(listener: () => void): () => void
}

export interface MqttSessionOptions {
  readonly url: string
  readonly protocolVersion: 4 | 5
  readonly clientId: string
  readonly keepaliveS: number
  readonly username?: string
  readonly password?: string
  readonly tls?: TlsMaterial
  readonly reconnect: BackoffOptions & { readonly stableAfterMs: number }
  /** MQTT 5 session expiry; the broker keeps our session (and queued QoS 1 messages) this long. @default 3600 */
  readonly sessionExpiryS?: number
  /** Called before every connection attempt; returns the Last Will to register for it. */
  readonly will?: () => { topic: string; payload: Buffer } | undefined
  readonly logger: Logger
  readonly onError?: (err: AgentError) => void
  readonly random?: () => number
}

/** Which connection state health reports. */
export type ConnectionState = 'connected' | 'connecting' | 'disconnected'

/**
 * One MQTT.js v5 client with a persistent session (clean=false, QoS 1) and our own reconnect loop: capped
 * exponential backoff with full jitter that resets only after a stable period. The host name is resolved again
 * on every attempt because MQTT.js hands it to net/tls.connect, which looks it up each time (Node caches no DNS).
 */
export class MqttConnection implements MqttSession {
  private client: MqttClient | undefined
  private readonly schedule: ReconnectSchedule
  private readonly subscriptions: SubscriptionTable
  private readonly connectListeners = new Set<() => void>()
  private readonly disconnectListeners = new Set<() => void>()
  private reconnectTimer: NodeJS.Timeout | undefined
  private closing = false
  private ready = false
  private everConnected = false
  /** Broker's MQTT 5 Receive Maximum (unacknowledged QoS 1 publishes it accepts), if it sent one. */
  receiveMaximum: number | undefined
  /** Broker's MQTT 5 Maximum Packet Size (CONNACK property), if it announced one. */
  maximumPacketSize: number | undefined
  /** Publishes waiting for their PUBACK on the current connection; rejected when it closes. */
  private readonly unacknowledged = new PendingAcks()
  reconnects = 0

  constructor(private readonly options: MqttSessionOptions) {
    this.schedule = new ReconnectSchedule(options.reconnect, Date.now, options.random)
    this.subscriptions = new SubscriptionTable(options.logger)
  }

  get connected(): boolean {
    return this.ready && this.client?.connected === true
  }

  get state(): ConnectionState {
    if (this.connected) return 'connected'
    return this.closing ? 'disconnected' : 'connecting'
  }

  start(): void {
    const o = this.options
    const clientOptions: IClientOptions = {
      protocolVersion: o.protocolVersion,
      clientId: o.clientId,
      keepalive: o.keepaliveS,
      // Persistent session: the broker keeps subscriptions and QoS 1 state across reconnects ([MQTT-3.1.2-4]).
      clean: false,
      reconnectPeriod: 0,
      resubscribe: false,
      connectTimeout: 10_000,
      queueQoSZero: false,
      // MQTT.js otherwise pre-builds a 2-byte Buffer for each of the 65,536 packet ids on the first packet it
      // writes: ~8 MB of heap for the life of the process, a tenth of a device agent's memory. Without the cache
      // it builds the two bytes when it writes a packet (one PUBLISH per batch here).
      writeCache: false,
      ...(o.username !== undefined ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: o.password } : {}),
      ...(o.protocolVersion === 5 ? { properties: { sessionExpiryInterval: o.sessionExpiryS ?? 3600 } } : {}),
      ...(o.tls ? { ...o.tls, rejectUnauthorized: true } : {}),
    }
    const will = o.will?.()
    if (will) clientOptions.will = { topic: will.topic, payload: will.payload, qos: 1, retain: false }
    const client = mqtt.connect(o.url, clientOptions)
    this.client = client
    client.on('connect', (connack) => {
      this.maximumPacketSize = connack.properties?.maximumPacketSize
      void this.onConnected(connack.sessionPresent, connack.properties?.receiveMaximum)
    })
    client.on('close', () => this.onClosed())
    client.on('error', (err) => this.reportError(err))
    client.on('message', (topic, payload) => this.subscriptions.dispatch(topic, payload))
  }

  private async onConnected(sessionPresent: boolean, receiveMaximum: number | undefined): Promise<void> {
    this.schedule.connected()
    this.receiveMaximum = receiveMaximum
    if (this.everConnected) this.reconnects++
    this.everConnected = true
    this.options.logger.info({ sessionPresent, reconnects: this.reconnects }, 'mqtt connected')
    // Without a session present the broker forgot our subscriptions ([MQTT-3.2.2-2]); restore them first.
    // The first connection of this process subscribes anyway: filters may differ from the stored session's.
    if ((!sessionPresent || this.reconnects === 0) && this.subscriptions.size > 0) {
      try {
        await this.client!.subscribeAsync(this.subscriptions.filters(), { qos: 1 })
      } catch (err) {
        this.reportError(err as Error)
        return
      }
    }
    this.ready = true
    for (const l of this.connectListeners) l()
  }

  private onClosed(): void {
    const wasReady = this.ready
    this.ready = false
    const lost = new AgentError('AGENT_NOT_CONNECTED', 'the connection closed before the PUBACK arrived')
    this.unacknowledged.rejectAll(lost)
    if (wasReady) for (const l of this.disconnectListeners) l()
    if (this.closing || this.reconnectTimer) return
    const delayMs = this.schedule.nextDelayMs()
    this.options.logger.debug({ delayMs, attempt: this.schedule.attempts }, 'mqtt reconnect scheduled')
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined
      if (this.closing || !this.client) return
      const will = this.options.will?.()
      if (will) this.client.options.will = { topic: will.topic, payload: will.payload, qos: 1, retain: false }
      // Fresh stores: MQTT.js would re-send every unacknowledged PUBLISH one at a time, each waiting for its
      // PUBACK, and report the connection only afterwards, so one message the broker closes the connection over
      // (an ACL denial under 3.1.1, an oversized message) would block everything behind it on every reconnect.
      // The publishes were rejected with AGENT_NOT_CONNECTED on close; their owners send them again (the agent's
      // publisher re-reads the rows: same seqs, at-least-once, and can hold back the one that closes the link).
      this.client.reconnect()
    }, delayMs)
  }

  private reportError(err: Error): void {
    const e = new AgentError('AGENT_MQTT_ERROR', `mqtt: ${err.message}`, { cause: err })
    // Not under `err`: pino's error serializer would print a plain object as type "Object" with an empty stack.
    this.options.logger.warn({ code: (err as { code?: unknown }).code, reason: err.message }, 'mqtt error')
    this.options.onError?.(e)
  }

  publish(topic: string, payload: string | Buffer, opts: { qos?: 0 | 1 } = {}): Promise<void> {
    const client = this.client
    if (!client || this.closing) return Promise.reject(new AgentError('AGENT_CLOSED', 'the MQTT session is closed'))
    if (!this.connected) return Promise.reject(new AgentError('AGENT_NOT_CONNECTED', 'not connected to the broker'))
    return this.unacknowledged.track((settle) => {
      client.publish(topic, payload, { qos: opts.qos ?? 1 }, (err) => {
        if (!err) settle()
        else if (err instanceof ErrorWithReasonCode) {
          settle(Object.assign(new AgentError('AGENT_PUBLISH_REFUSED', err.message, { cause: err }), { reasonCode: err.code }))
        } else settle(new AgentError('AGENT_MQTT_ERROR', err.message, { cause: err }))
      })
    })
  }

  async subscribe(filter: string, handler: (topic: string, payload: Buffer) => void): Promise<void> {
    this.subscriptions.add(filter, handler)
    if (this.connected) await this.client!.subscribeAsync(filter, { qos: 1 })
  }

  onConnect(listener: () => void): () => void {
    this.connectListeners.add(listener)
    return () => this.connectListeners.delete(listener)
  }

  onDisconnect(listener: () => void): () => void {
    this.disconnectListeners.add(listener)
    return () => this.disconnectListeners.delete(listener)
  }

  /** See ReconnectSchedule.explained: the coming drop has a known cause; reconnect promptly. */
  explainDrop(): void {
    this.schedule.explained()
  }

  get protocolVersion(): 4 | 5 {
    return this.options.protocolVersion
  }

  /**
   * Drops the current connection without a DISCONNECT (the broker stopped acknowledging); the reconnect loop
   * then re-establishes it and MQTT.js re-sends what is unacknowledged.
   */
  dropConnection(): void {
    if (this.closing || !this.client?.connected) return
    this.client.stream.destroy()
  }

  /** Disconnects cleanly (a normal DISCONNECT: the broker discards the Last Will, [MQTT-3.14.4-3]). */
  async close(): Promise<void> {
    if (this.closing) return
    this.closing = true
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer)
    this.reconnectTimer = undefined
    const client = this.client
    if (!client) return
    const force = !client.connected
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        client.end(true)
        resolve()
      }, 2000)
      client.end(force, {}, () => {
        clearTimeout(timer)
        resolve()
      })
    })
  }
}

/** A client id unique enough for a throwaway connection. */
export function randomClientId(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`
}
