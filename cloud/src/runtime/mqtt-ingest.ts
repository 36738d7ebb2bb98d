import { TELEMETRY_FILTER } from '@edgetwin/shared-schemas'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import type { Logger } from 'pino'
import type { Router } from '../router/router.js'
import { type BackoffPolicy, backoffDelayMs, resolveBackoff } from '../sinks/retry.js'

export interface MqttIngestOptions {
  readonly url: string
  readonly clientId: string
  readonly protocolVersion: 4 | 5
  readonly router: Router
  readonly logger: Logger
  /** How long the broker keeps the session (and queues QoS 1 messages) while the router is away. @default 7 days */
  readonly sessionExpiryS?: number
  /** Backoff between attempts when a sink fails; attempts are unbounded until close. */
  readonly retry?: Omit<BackoffPolicy, 'maxAttempts'>
}

export interface MqttIngest {
  readonly client: MqttClient | undefined
  start(): Promise<void>
  close(): Promise<void>
}

/**
 * Subscribes the router to `dt/edgetwin/+/+/+` with QoS 1 on a persistent session, so the broker queues telemetry
 * while the router is down ([MQTT-3.1.2-4] clean session 0 in 3.1.1; Clean Start 0 plus a Session Expiry Interval in
 * MQTT 5, where an absent interval ends the session at disconnect [MQTT-3.1.2-23]).
 * PUBACK is sent only after the router has the message in every sink or in the dead letters: mqtt.js calls
 * `handleMessage` before acknowledging a QoS 1 PUBLISH and handles one message at a time, which keeps order.
 */
export function createMqttIngest(options: MqttIngestOptions): MqttIngest {
  const { router, logger } = options
  const retry = resolveBackoff({ maxDelayMs: 10_000, ...options.retry })
  let client: MqttClient | undefined
  let closing = false
  /** The message being routed: close() waits for it, so a SIGTERM never closes the sinks under a write. */
  let inFlight: Promise<unknown> = Promise.resolve()

  const routeUntilDone = async (topic: string, payload: Buffer): Promise<boolean> => {
    for (let attempt = 0; !closing; attempt++) {
      try {
        await router.handle(topic, payload)
        return true
      } catch (err) {
        logger.error({ err, topic, attempt }, 'routing failed; retrying before acknowledging')
        await retry.sleep(backoffDelayMs(Math.min(attempt, 20), retry))
      }
    }
    return false
  }

  return {
    get client() {
      return client
    },
    async start() {
      const opts: IClientOptions = {
        clientId: options.clientId,
        protocolVersion: options.protocolVersion,
        clean: false,
        reconnectPeriod: 1000,
        connectTimeout: 10_000,
        ...(options.protocolVersion === 5 ? { properties: { sessionExpiryInterval: options.sessionExpiryS ?? 7 * 24 * 3600 } } : {}),
      }
      const c = mqtt.connect(options.url, opts)
      client = c
      c.handleMessage = (packet, done) => {
        const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload)
        const routing = routeUntilDone(packet.topic, payload)
        inFlight = routing.catch(() => {})
        routing.then(
          (routed) => {
            // Not acknowledging on close leaves the message with the broker for the next session.
            if (routed) done()
          },
          (err: unknown) => done(err as Error),
        )
      }
      c.on('error', (err) => logger.warn({ err }, 'mqtt error'))
      c.on('reconnect', () => logger.info('mqtt reconnecting'))
      await new Promise<void>((resolve, reject) => {
        c.once('connect', () => resolve())
        c.once('error', reject)
      })
      const granted = await c.subscribeAsync(TELEMETRY_FILTER, { qos: 1 })
      logger.info({ url: options.url, filter: TELEMETRY_FILTER, granted: granted.map((g) => g.qos) }, 'router subscribed')
    },
    async close() {
      // Stop taking messages, let the one in flight reach its sinks (or give up between retries without an
      // acknowledgement, so the broker redelivers it), then disconnect cleanly, sending the PUBACKs already due.
      closing = true
      await inFlight
      if (!client) return
      const c = client
      // A broker that is away would keep a clean DISCONNECT waiting; after 5 s the socket is simply closed.
      let timer: NodeJS.Timeout | undefined
      const forced = new Promise<void>((resolve) => {
        timer = setTimeout(() => resolve(c.endAsync(true)), 5000)
      })
      await Promise.race([c.endAsync(false), forced])
      clearTimeout(timer)
    },
  }
}
