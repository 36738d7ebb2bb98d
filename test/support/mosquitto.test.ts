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

  it('keeps a persistent session across a restart, with the messages published while its client was away', async () => {
    broker = await startMosquitto()
    const options = {
      clientId: 'harness-persistent',
      clean: false,
      protocolVersion: 5 as const,
      properties: { sessionExpiryInterval: 3600 },
    }
    const first = await mqtt.connectAsync(broker.url, { ...options, reconnectPeriod: 0 })
    await first.subscribeAsync('t/#', { qos: 1 })
    await first.endAsync()
    await broker.stop()
    await broker.start()
    const publisher = await mqtt.connectAsync(broker.url, { protocolVersion: 5 })
    await publisher.publishAsync('t/2', 'while away', { qos: 1 })
    await publisher.endAsync()
    // Before: the broker, started by root, could not write its persistence file; the session died with it.
    const again = mqtt.connect(broker.url, { ...options, reconnectPeriod: 0, resubscribe: false })
    const got = new Promise<string>((resolve) => again.on('message', (_t, p) => resolve(p.toString())))
    const connack = await new Promise<{ sessionPresent: boolean }>((resolve) => again.once('connect', resolve))
    expect(connack.sessionPresent).toBe(true)
    expect(await got).toBe('while away')
    await again.endAsync()
  })
})
