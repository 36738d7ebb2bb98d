import { jobsTopics } from '@edgetwin/shared-schemas'
import mqtt, { type MqttClient } from 'mqtt'
import { waitFor } from './turbine.js'

export interface RawMessage {
  readonly topic: string
  readonly body: Record<string, unknown>
}

/** A thing speaking the Jobs MQTT API by hand: every reply and notification of the thing is recorded. */
export interface RawThing {
  readonly messages: RawMessage[]
  /** Publishes a request with a fresh client token and resolves with its accepted or rejected reply. */
  request(topic: string, body: Record<string, unknown>): Promise<RawMessage>
  end(): Promise<void>
}

let tokenSeq = 0

export async function connectRawThing(brokerUrl: string, thingName: string): Promise<RawThing> {
  const client: MqttClient = await mqtt.connectAsync(brokerUrl, { clientId: `raw-${thingName}-${tokenSeq++}`, protocolVersion: 4 })
  const messages: RawMessage[] = []
  client.on('message', (topic, payload) => messages.push({ topic, body: JSON.parse(payload.toString('utf8')) }))
  await client.subscribeAsync(jobsTopics(thingName).all, { qos: 1 })
  return {
    messages,
    async request(topic, body) {
      const clientToken = `tok-${++tokenSeq}`
      await client.publishAsync(topic, JSON.stringify({ ...body, clientToken }), { qos: 1 })
      return waitFor(
        () => messages.find((m) => m.body.clientToken === clientToken && /\/(accepted|rejected)$/.test(m.topic)),
        10_000,
        `reply to ${topic}`,
      )
    },
    async end() {
      await client.endAsync(true)
    },
  }
}
