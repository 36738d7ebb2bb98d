import { createRequire } from 'node:module'
import type { AgentConfig } from '@edgetwin/shared-schemas'
import type * as Sdk from 'aws-iot-device-sdk-v2'
import { AgentError } from '../errors.js'
import { ReconnectSchedule } from '../mqtt/backoff.js'
import type { ConnectionState, MqttSessionOptions } from '../mqtt/session.js'
import { PendingAcks, SubscriptionTable } from '../mqtt/session-state.js'
import { planSdkConnection, type SdkConnectPlan } from './sdk-connect-plan.js'
import type { AgentTransport } from './transport.js'

type SdkModule = typeof Sdk
type Mqtt5Client = Sdk.mqtt5.Mqtt5Client

/** Loaded on first use only: an agent on MQTT.js never loads aws-crt's native module. */
function loadSdk(): SdkModule {
  try {
    return createRequire(import.meta.url)('aws-iot-device-sdk-v2') as SdkModule
  } catch (err) {
    throw new AgentError(
      'AGENT_INVALID_CONFIG',
      `broker.transport is 'aws-iot-sdk' but its optional dependency aws-iot-device-sdk-v2 cannot be loaded (${(err as Error).message}); install it or use broker.transport 'mqttjs'`,
      { cause: err },
    )
  }
}

function crtError(e: Sdk.ICrtError): Error {
  // A CrtError is an Error whose message names the aws-c error (e.g. AWS_IO_TLS_ERROR_NEGOTIATION_FAILURE).
  if (e instanceof Error) return e
  return Object.assign(new Error(e.error_name ?? 'aws-crt error'), { error_name: e.error_name })
}

/** The builder the plan names, with its authentication; port, CA and session settings are added by the caller. */
export function sdkBuilder(
  sdk: SdkModule,
  p: SdkConnectPlan,
  /** The PKCS#11 module, loaded (C_Initialize) once per transport and kept for every reconnect. */
  cache: { pkcs11Lib?: Sdk.io.Pkcs11Lib } = {},
): Sdk.iot.AwsIotMqtt5ClientConfigBuilder | undefined {
  const B = sdk.iot.AwsIotMqtt5ClientConfigBuilder
  switch (p.builder) {
    case 'newDirectMqttBuilderWithMtlsFromPath':
      return B.newDirectMqttBuilderWithMtlsFromPath(p.hostName, p.certFile!, p.keyFile!)
    case 'newDirectMqttBuilderWithMtlsFromPkcs11': {
      const k = p.pkcs11!
      cache.pkcs11Lib ??= new sdk.io.Pkcs11Lib(k.libraryFile)
      return B.newDirectMqttBuilderWithMtlsFromPkcs11(p.hostName, {
        pkcs11_lib: cache.pkcs11Lib,
        user_pin: k.pin,
        ...(k.slotId !== undefined ? { slot_id: k.slotId } : {}),
        ...(k.tokenLabel !== undefined ? { token_label: k.tokenLabel } : {}),
        ...(k.keyLabel !== undefined ? { private_key_object_label: k.keyLabel } : {}),
        cert_file_path: p.certFile!,
      })
    }
    case 'newWebsocketMqttBuilderWithSigv4Auth':
      // No credentialsProvider: the SDK uses the default chain (env, profile, IMDS/ECS, ...).
      return B.newWebsocketMqttBuilderWithSigv4Auth(p.hostName, p.region ? { region: p.region } : {})
    case 'newDirectMqttBuilderWithCustomAuth': {
      const { password, ...rest } = p.customAuth!
      return B.newDirectMqttBuilderWithCustomAuth(p.hostName, {
        ...rest,
        ...(password !== undefined ? { password: Buffer.from(password) } : {}),
      })
    }
    case 'plain':
      return undefined
  }
}

/**
 * The AWS IoT Device SDK v2 adapter of the transport port: its MQTT 5 client, one per connection attempt, under
 * the same reconnect loop as the MQTT.js adapter (capped backoff with full jitter, reset after a stable period),
 * so that each attempt registers a fresh Last Will. A persistent session (rejoin always, session expiry); the
 * subscriptions are restored when the broker did not keep them. Publishes awaiting their PUBACK are rejected
 * with AGENT_NOT_CONNECTED when the connection closes; their owners send them again.
 */
export class AwsIotSdkTransport implements AgentTransport {
  private readonly sdk: SdkModule
  private readonly plan: SdkConnectPlan
  private readonly schedule: ReconnectSchedule
  private readonly cache: { pkcs11Lib?: Sdk.io.Pkcs11Lib } = {}
  private client: Mqtt5Client | undefined
  /** Bumped whenever a client is retired, so its late events are ignored. */
  private generation = 0
  private readonly subscriptions: SubscriptionTable
  private readonly connectListeners = new Set<() => void>()
  private readonly disconnectListeners = new Set<() => void>()
  private readonly unacknowledged = new PendingAcks()
  private reconnectTimer: NodeJS.Timeout | undefined
  private closing = false
  private ready = false
  private everConnected = false
  receiveMaximum: number | undefined
  maximumPacketSize: number | undefined
  reconnects = 0
  readonly protocolVersion = 5 as const

  constructor(
    broker: AgentConfig['broker'],
    private readonly options: MqttSessionOptions,
    env: NodeJS.ProcessEnv,
  ) {
    this.plan = planSdkConnection(broker, env, options.password)
    this.sdk = loadSdk()
    this.schedule = new ReconnectSchedule(options.reconnect, Date.now, options.random)
    this.subscriptions = new SubscriptionTable(options.logger)
  }

  get connected(): boolean {
    return this.ready
  }

  get state(): ConnectionState {
    if (this.connected) return 'connected'
    return this.closing ? 'disconnected' : 'connecting'
  }

  start(): void {
    if (!this.client && !this.closing) this.connect()
  }

  private clientConfig(): Sdk.mqtt5.Mqtt5ClientConfig {
    const { mqtt5 } = this.sdk
    const o = this.options
    const p = this.plan
    const will = o.will?.()
    const connect: Sdk.mqtt5.ConnectPacket = {
      clientId: o.clientId,
      keepAliveIntervalSeconds: o.keepaliveS,
      sessionExpiryIntervalSeconds: o.sessionExpiryS ?? 3600,
      ...(will ? { will: { topicName: will.topic, payload: will.payload, qos: mqtt5.QoS.AtLeastOnce } } : {}),
    }
    const builder = sdkBuilder(this.sdk, p, this.cache)
    let config: Sdk.mqtt5.Mqtt5ClientConfig
    if (builder) {
      builder.withPort(p.port).withConnectProperties(connect)
      if (p.caFile) builder.withCertificateAuthorityFromPath(undefined, p.caFile)
      config = builder.build()
    } else config = { hostName: p.hostName, port: p.port, connectProperties: connect }
    // The builder writes its own username (SDK metrics, or the custom authorizer's); a plain broker gets ours.
    if (p.builder !== 'newDirectMqttBuilderWithCustomAuth' && config.connectProperties) {
      if (p.username !== undefined) config.connectProperties.username = p.username
      else if (p.builder === 'plain') delete config.connectProperties.username
      if (p.password !== undefined) config.connectProperties.password = Buffer.from(p.password)
    }
    config.sessionBehavior = mqtt5.ClientSessionBehavior.RejoinAlways
    config.offlineQueueBehavior = mqtt5.ClientOperationQueueBehavior.FailAllOnDisconnect
    config.connackTimeoutMs = 10_000
    // Our loop replaces the client after a loss; the client's own retry must not race it.
    config.minReconnectDelayMs = 3_600_000
    config.maxReconnectDelayMs = 3_600_000
    return config
  }

  private connect(): void {
    const generation = ++this.generation
    let client: Mqtt5Client
    try {
      client = new this.sdk.mqtt5.Mqtt5Client(this.clientConfig())
    } catch (err) {
      this.reportError(err as Error)
      this.scheduleReconnect()
      return
    }
    this.client = client
    const current = () => generation === this.generation
    client.on('connectionSuccess', (e) => {
      if (current()) void this.onConnected(client, generation, e)
    })
    client.on('connectionFailure', (e) => {
      if (!current()) return
      this.reportError(crtError(e.error))
      this.lost()
    })
    client.on('disconnection', (e) => {
      if (!current()) return
      if (e.error) this.reportError(crtError(e.error))
      this.lost()
    })
    client.on('messageReceived', (e) => {
      if (current()) this.subscriptions.dispatch(e.message.topicName, Buffer.from(e.message.payload as ArrayBuffer))
    })
    client.once('stopped', () => client.close())
    client.start()
  }

  private async onConnected(client: Mqtt5Client, generation: number, e: Sdk.mqtt5.ConnectionSuccessEvent): Promise<void> {
    this.schedule.connected()
    this.receiveMaximum = e.connack.receiveMaximum
    this.maximumPacketSize = e.connack.maximumPacketSize
    if (this.everConnected) this.reconnects++
    this.everConnected = true
    const sessionPresent = e.connack.sessionPresent
    this.options.logger.info({ sessionPresent, reconnects: this.reconnects, transport: 'aws-iot-sdk' }, 'mqtt connected')
    // As the MQTT.js adapter: restore the subscriptions the broker forgot, and on this process's first connection.
    if ((!sessionPresent || this.reconnects === 0) && this.subscriptions.size > 0) {
      try {
        await this.subscribeOn(client, this.subscriptions.filters())
      } catch (err) {
        this.reportError(err as Error)
        return
      }
    }
    if (generation !== this.generation) return
    this.ready = true
    for (const l of this.connectListeners) l()
  }

  private async subscribeOn(client: Mqtt5Client, filters: string[]): Promise<void> {
    const qos = this.sdk.mqtt5.QoS.AtLeastOnce
    const suback = await client.subscribe({ subscriptions: filters.map((topicFilter) => ({ topicFilter, qos })) })
    const refused = suback.reasonCodes.findIndex((c) => c >= 128)
    if (refused >= 0) {
      throw new AgentError(
        'AGENT_MQTT_ERROR',
        `the broker refused the subscription to ${filters[refused]} (reason code ${suback.reasonCodes[refused]})`,
      )
    }
  }

  /** Retires the current client (stopping it, with `disconnect` if given) and schedules the next attempt. */
  private lost(disconnect?: Sdk.mqtt5.DisconnectPacket): void {
    this.generation++
    const wasReady = this.ready
    this.ready = false
    const lost = new AgentError('AGENT_NOT_CONNECTED', 'the connection closed before the PUBACK arrived')
    this.unacknowledged.rejectAll(lost)
    const client = this.client
    this.client = undefined
    client?.stop(disconnect)
    if (wasReady) for (const l of this.disconnectListeners) l()
    this.scheduleReconnect()
  }

  private scheduleReconnect(): void {
    if (this.closing || this.reconnectTimer) return
    const delayMs = this.schedule.nextDelayMs()
    this.options.logger.debug({ delayMs, attempt: this.schedule.attempts }, 'mqtt reconnect scheduled')
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined
      if (!this.closing) this.connect()
    }, delayMs)
  }

  private reportError(err: Error): void {
    const e = new AgentError('AGENT_MQTT_ERROR', `mqtt: ${err.message}`, { cause: err })
    this.options.logger.warn({ code: (err as { error_name?: unknown }).error_name, reason: err.message }, 'mqtt error')
    this.options.onError?.(e)
  }

  publish(topic: string, payload: string | Buffer, opts: { qos?: 0 | 1 } = {}): Promise<void> {
    const client = this.client
    if (this.closing) return Promise.reject(new AgentError('AGENT_CLOSED', 'the MQTT session is closed'))
    if (!client || !this.connected) return Promise.reject(new AgentError('AGENT_NOT_CONNECTED', 'not connected to the broker'))
    const { QoS } = this.sdk.mqtt5
    const qos = opts.qos === 0 ? QoS.AtMostOnce : QoS.AtLeastOnce
    return this.unacknowledged.track((settle) => {
      client.publish({ topicName: topic, payload, qos }).then(
        (puback) => {
          const code = puback?.reasonCode
          if (code === undefined || code < 128) return settle()
          const refused = new AgentError('AGENT_PUBLISH_REFUSED', `the broker refused the PUBLISH to ${topic} (reason code ${code})`)
          settle(Object.assign(refused, { reasonCode: code }))
        },
        (err: Error) => settle(new AgentError('AGENT_MQTT_ERROR', err.message, { cause: err })),
      )
    })
  }

  async subscribe(filter: string, handler: (topic: string, payload: Buffer) => void): Promise<void> {
    this.subscriptions.add(filter, handler)
    if (this.connected && this.client) await this.subscribeOn(this.client, [filter])
  }

  onConnect(listener: () => void): () => void {
    this.connectListeners.add(listener)
    return () => this.connectListeners.delete(listener)
  }

  onDisconnect(listener: () => void): () => void {
    this.disconnectListeners.add(listener)
    return () => this.disconnectListeners.delete(listener)
  }

  explainDrop(): void {
    this.schedule.explained()
  }

  /** DISCONNECT with reason 0x04 (Disconnect with Will Message): the broker publishes the Will, as on a dead socket. */
  dropConnection(): void {
    if (this.closing || !this.connected) return
    this.lost({ reasonCode: this.sdk.mqtt5.DisconnectReasonCode.DisconnectWithWillMessage })
  }

  async close(): Promise<void> {
    if (this.closing) return
    this.closing = true
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer)
    this.reconnectTimer = undefined
    this.generation++
    this.ready = false
    const client = this.client
    this.client = undefined
    const closed = new AgentError('AGENT_CLOSED', 'the MQTT session closed before the PUBACK arrived')
    this.unacknowledged.rejectAll(closed)
    if (!client) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000)
      client.once('stopped', () => {
        clearTimeout(timer)
        resolve()
      })
      client.stop({ reasonCode: this.sdk.mqtt5.DisconnectReasonCode.NormalDisconnection })
    })
  }
}
