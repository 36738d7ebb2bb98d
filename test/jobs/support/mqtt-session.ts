import type { JobsMqttSession } from '@edgetwin/agent'
import mqtt, { type MqttClient } from 'mqtt'

/** MQTT topic filter match ([MQTT-4.7.1]): `+` one level, `#` the rest. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/')
  const t = topic.split('/')
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true
    if (i >= t.length) return false
    if (f[i] !== '+' && f[i] !== t[i]) return false
  }
  return f.length === t.length
}

export interface TestSession extends JobsMqttSession {
  readonly client: MqttClient
  end(): Promise<void>
}

/**
 * An MqttSession over MQTT.js, standing in for the agent's own while testing the jobs client. `promiscuous`
 * hands every message to every handler, as a session shared with a `#` subscriber would.
 */
export async function connectTestSession(url: string, clientId: string, promiscuous = false): Promise<TestSession> {
  const client = await mqtt.connectAsync(url, { clientId, protocolVersion: 4, reconnectPeriod: 200 })
  const handlers: { filter: string; handler: (topic: string, payload: Buffer) => void }[] = []
  const connectListeners = new Set<() => void>()
  client.on('message', (topic, payload) => {
    for (const h of handlers) if (promiscuous || topicMatches(h.filter, topic)) h.handler(topic, payload)
  })
  client.on('connect', () => {
    for (const l of connectListeners) l()
  })
  return {
    client,
    get connected() {
      return client.connected
    },
    async publish(topic, payload, opts) {
      await client.publishAsync(topic, payload, { qos: opts?.qos ?? 0 })
    },
    async subscribe(filter, handler) {
      handlers.push({ filter, handler })
      await client.subscribeAsync(filter, { qos: 1 })
    },
    onConnect(listener) {
      connectListeners.add(listener)
      return () => connectListeners.delete(listener)
    },
    async end() {
      await client.endAsync(true)
    },
  }
}
