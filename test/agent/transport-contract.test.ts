import type { AgentConfig } from '@edgetwin/shared-schemas'
import mqtt, { type MqttClient } from 'mqtt'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AgentError } from '../../agent/src/errors.js'
import { loadTlsMaterial } from '../../agent/src/mqtt/tls.js'
import { type AgentTransport, createTransport } from '../../agent/src/transport/transport.js'
import type { MosquittoHandle } from '../support/mosquitto.js'
import { tempDir } from './support.js'
import { startTlsMosquitto } from './tls-broker.js'

/** Resolves once `pred` holds, polling; the message names what never came. Generous: progress, not speed, is tested. */
async function until(pred: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now()
  while (!pred()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/**
 * One contract, both adapters of the transport port (MQTT.js and the AWS IoT Device SDK v2 MQTT 5 client), against
 * a real Mosquitto 2 whose TLS listener demands a client certificate from the test CA. An observer (MQTT.js on the
 * plain listener) sees what the broker delivers. The broker keeps no sessions on disk, so a restart is an outage
 * after which every subscription must be made again by the transport.
 */
describe.each(['mqttjs', 'aws-iot-sdk'] as const)('transport contract: %s over mutual TLS (Mosquitto)', (transport) => {
  const pki = tempDir('edgetwin-pki-')
  let broker: MosquittoHandle
  let observer: MqttClient
  let session: AgentTransport
  let tlsUrl: string
  let clientTls: NonNullable<AgentConfig['broker']['tls']>
  const seen: { topic: string; payload: string }[] = []
  const errors: AgentError[] = []
  const willPayload = `offline-${transport}`
  const base = `contract/${transport}`

  const brokerConfig = (): AgentConfig['broker'] => ({
    url: tlsUrl,
    protocolVersion: 5,
    keepaliveS: 5,
    transport,
    tls: clientTls,
  })

  beforeAll(async () => {
    ;({ broker, tlsUrl, clientTls } = await startTlsMosquitto(pki.dir, { persistence: false }))
    observer = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 100, clientId: `observer-${transport}` })
    observer.on('message', (topic, payload) => seen.push({ topic, payload: payload.toString() }))
    observer.on('connect', () => void observer.subscribeAsync(`${base}/out/#`, { qos: 1 }))
    await observer.subscribeAsync(`${base}/out/#`, { qos: 1 })
    const b = brokerConfig()
    session = createTransport(b, {
      url: b.url,
      protocolVersion: 5,
      clientId: `contract-${transport}`,
      keepaliveS: 5,
      ...(transport === 'mqttjs' ? { tls: loadTlsMaterial(b.tls!) } : {}),
      reconnect: { initialDelayMs: 100, maxDelayMs: 500, stableAfterMs: 1000 },
      will: () => ({ topic: `${base}/out/will`, payload: Buffer.from(willPayload) }),
      logger: pino({ level: 'silent' }),
      onError: (err) => errors.push(err),
    })
  }, 60_000)
  afterAll(async () => {
    await session?.close()
    await observer?.endAsync(true)
    await broker?.stop()
    pki.cleanup()
  })

  it('connects with a client certificate (mTLS) and reports it', async () => {
    let connects = 0
    session.onConnect(() => connects++)
    session.start()
    await until(() => session.connected, 'the first connection')
    expect(connects).toBe(1)
    expect(session.state).toBe('connected')
    expect(session.protocolVersion).toBe(5)
    expect(session.reconnects).toBe(0)
  })

  it('resolves a QoS 1 publish on its PUBACK, not before', async () => {
    broker.pause()
    let settled = false
    const p = session.publish(`${base}/out/puback`, 'one').then(() => {
      settled = true
    })
    // The broker is stopped (SIGSTOP): nothing can acknowledge; give the client every chance to resolve wrongly.
    await new Promise((r) => setTimeout(r, 500))
    expect(settled).toBe(false)
    broker.resume()
    await p
    await until(() => seen.some((m) => m.topic === `${base}/out/puback` && m.payload === 'one'), 'the observer to get it')
  })

  it('delivers what it subscribed to, to the handler of the matching filter', async () => {
    const got: { topic: string; payload: string }[] = []
    await session.subscribe(`${base}/in/+/cmd`, (topic, payload) => got.push({ topic, payload: payload.toString() }))
    await observer.publishAsync(`${base}/in/a/cmd`, 'hello', { qos: 1 })
    await observer.publishAsync(`${base}/in/a/other`, 'not for us', { qos: 1 })
    await until(() => got.length >= 1, 'the subscribed message')
    expect(got).toEqual([{ topic: `${base}/in/a/cmd`, payload: 'hello' }])
  })

  it('rides out a broker outage: publishes refused while down, reconnects, subscriptions made again', async () => {
    const got: string[] = []
    await session.subscribe(`${base}/in/after`, (_t, payload) => got.push(payload.toString()))
    let disconnects = 0
    const off = session.onDisconnect(() => disconnects++)
    await broker.stop()
    await until(() => !session.connected, 'the loss to be noticed')
    expect(disconnects).toBe(1)
    await expect(session.publish(`${base}/out/down`, 'x')).rejects.toMatchObject({ code: 'AGENT_NOT_CONNECTED' })
    await broker.start()
    await until(() => session.connected, 'the reconnection')
    off()
    expect(session.reconnects).toBe(1)
    // The observer reconnects on its own schedule and its clean session lost its subscription: have it subscribed
    // again before the publish it must see (otherwise the broker rightly drops the message and the wait never ends).
    await until(() => observer.connected, 'the observer back')
    await observer.subscribeAsync(`${base}/out/#`, { qos: 1 })
    await session.publish(`${base}/out/after`, 'two')
    await until(() => seen.some((m) => m.topic === `${base}/out/after` && m.payload === 'two'), 'the publish after the outage')
    // The restarted broker kept no session: the message arrives only if the transport subscribed again.
    const t0 = Date.now()
    while (got.length === 0 && Date.now() - t0 < 60_000) {
      await observer.publishAsync(`${base}/in/after`, 'again', { qos: 1 })
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(got[0]).toBe('again')
  })

  it('leaves its Last Will when the connection drops, and none on a clean close', async () => {
    // Mosquitto publishes the Wills of its clients when it shuts down (the outage above); count from here.
    const before = seen.filter((m) => m.topic === `${base}/out/will`).length
    const wills = () => seen.filter((m) => m.topic === `${base}/out/will`).slice(before)
    session.dropConnection()
    await until(() => wills().length === 1, 'the Last Will')
    expect(wills()[0]!.payload).toBe(willPayload)
    await until(() => session.connected, 'the reconnection after the drop')
    await session.close()
    expect(session.state).toBe('disconnected')
    // A sentinel sent after the close arrives after any Will the broker would have published for that close.
    await observer.publishAsync(`${base}/out/will`, 'sentinel', { qos: 1 })
    await until(() => wills().length === 2, 'the sentinel')
    expect(wills().map((m) => m.payload)).toEqual([willPayload, 'sentinel'])
    await expect(session.publish(`${base}/out/closed`, 'x')).rejects.toMatchObject({ code: 'AGENT_CLOSED' })
  })
})
