import mqtt from 'mqtt'
import { afterAll, describe, expect, it } from 'vitest'
import { type MosquittoHandle, startMosquitto } from './mosquitto.js'

describe('mosquitto test harness', () => {
  let broker: MosquittoHandle
  afterAll(async () => broker?.stop())

  it('starts a broker that routes a QoS 1 message over MQTT 5', async () => {
    broker = await startMosquitto()
    const client = await mqtt.connectAsync(broker.url, { protocolVersion: 5 })
    await client.subscribeAsync('t/#', { qos: 1 })
    const got = new Promise<string>((resolve) => client.on('message', (_t, p) => resolve(p.toString())))
    await client.publishAsync('t/1', 'hello', { qos: 1 })
    expect(await got).toBe('hello')
    await client.endAsync()
  })
})
