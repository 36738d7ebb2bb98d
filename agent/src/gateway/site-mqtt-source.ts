import type { SiteMqttSourceConfig } from '@edgetwin/shared-schemas'
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt'
import type { Logger } from 'pino'
import type { BatchInput } from './pipeline.js'
import type { Reading } from './window-aggregator.js'

export interface SiteMqttSourceDeps {
  readonly url: string
  readonly password?: string
  readonly log: Logger
  readonly now: () => number
  /** Processes one message's readings; the message is acknowledged only once this resolves. */
  readonly process: (input: BatchInput) => Promise<void>
  readonly retryDelayMs: number
  readonly maxRetryDelayMs: number
}

/** Readings of one plant-device message, or null when it is not a JSON object with a device id. */
export function parseDeviceMessage(config: SiteMqttSourceConfig, topic: string, payload: Buffer, nowMs: number): Reading[] | null {
  const deviceId = topic.split('/')[config.deviceIdLevel]
  if (!deviceId) return null
  let body: unknown
  try {
    body = JSON.parse(payload.toString('utf8'))
  } catch {
    return null
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return null
  const fields = body as Record<string, unknown>
  let timeMs = nowMs
  if (config.timeField !== undefined && fields[config.timeField] !== undefined) {
    const t = fields[config.timeField]
    timeMs = typeof t === 'number' ? t : typeof t === 'string' ? Date.parse(t) : Number.NaN
    if (!Number.isFinite(timeMs)) return null
  }
  const readings: Reading[] = []
  for (const metric of config.metrics) {
    const value = fields[metric]
    if (typeof value === 'number' && Number.isFinite(value)) readings.push({ deviceId, metric, timeMs, value })
  }
  return readings
}

/**
 * Plant devices on the site broker. A persistent session (clean: false) with QoS 1 subscriptions, and each
 * PUBACK held back until the message's readings are processed and checkpointed (MQTT.js `handleMessage`): a
 * crash before that makes the broker redeliver the message [MQTT-4.4.0-1], so no reading is lost.
 */
export class SiteMqttSource {
  readonly config: SiteMqttSourceConfig
  readonly #deps: SiteMqttSourceDeps
  #client: MqttClient | undefined
  #closing = false
  invalidMessages = 0

  constructor(config: SiteMqttSourceConfig, deps: SiteMqttSourceDeps) {
    this.config = config
    this.#deps = deps
  }

  start(): void {
    const c = this.config
    const client = mqtt.connect(this.#deps.url, {
      clientId: c.clientId ?? `edgetwin-gateway-${c.name}`,
      clean: false,
      protocolVersion: 4,
      reconnectPeriod: this.#deps.retryDelayMs,
      ...(c.username !== undefined ? { username: c.username } : {}),
      ...(this.#deps.password !== undefined ? { password: this.#deps.password } : {}),
    })
    this.#client = client
    client.handleMessage = (packet: IPublishPacket, done: (error?: Error) => void) => {
      void this.#handle(packet).then(() => done())
    }
    client.on('connect', (ack) => {
      this.#deps.log.info({ source: c.name, sessionPresent: ack.sessionPresent }, 'connected to the site broker')
      // Subscribing again on every connect is harmless and covers a broker that lost the session.
      client.subscribe(c.topics, { qos: 1 }, (err) => {
        if (err) this.#deps.log.error({ err, source: c.name }, 'site broker refused the subscription')
      })
    })
    client.on('error', (err) => this.#deps.log.warn({ err, source: c.name }, 'site broker connection error'))
  }

  async #handle(packet: IPublishPacket): Promise<void> {
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : Buffer.from(packet.payload)
    const readings = parseDeviceMessage(this.config, packet.topic, payload, this.#deps.now())
    if (readings === null) {
      this.invalidMessages++
      this.#deps.log.warn(
        { source: this.config.name, topic: packet.topic, bytes: payload.length },
        'device message is not a JSON object; dropped',
      )
      return
    }
    let delayMs = this.#deps.retryDelayMs
    // Held until processed: the PUBACK (and with it the broker's copy) waits for the checkpoint.
    while (!this.#closing) {
      try {
        await this.#deps.process({ readings })
        return
      } catch {
        await new Promise((r) => setTimeout(r, delayMs))
        delayMs = Math.min(delayMs * 2, this.#deps.maxRetryDelayMs)
      }
    }
  }

  async close(): Promise<void> {
    this.#closing = true
    await this.#client?.endAsync()
  }
}
