import mqtt from 'mqtt'
import { startMosquitto } from '../../test/support/mosquitto.js'
import { freePort } from '../../test/support/ports.js'
import { cpuSeconds, type PhaseResult } from './phases.js'
import { type RecordSize, recordRing } from './records.js'

/**
 * The peer a Node.js user would otherwise pick: MQTT.js publishing each record as its own QoS 1 message with its
 * default in-memory store (not durable: a crash or power loss loses everything unacknowledged), the same records
 * and broker as the agent, at most 1,000 unacknowledged at a time.
 */
export async function peerMqttJs(url: string, n: number, protocolVersion: 4 | 5, size: RecordSize): Promise<PhaseResult> {
  const { stream, record } = recordRing(size)
  const client = await mqtt.connectAsync(url, { protocolVersion, clientId: 'bench-peer', clean: true })
  const topic = `dt/edgetwin/turbine/bench-peer/${stream}`
  let bytes = 0
  const cpu0 = process.cpuUsage()
  const start = performance.now()
  await new Promise<void>((resolve, reject) => {
    let next = 0
    let done = 0
    const pump = () => {
      while (next < n && next - done < 1000) {
        const payload = JSON.stringify(record(next++))
        bytes += payload.length
        client.publish(topic, payload, { qos: 1 }, (err) => {
          if (err) return reject(err)
          done++
          if (done === n) resolve()
          else if (next - done < 500) pump()
        })
      }
    }
    pump()
  })
  const end = performance.now()
  const cpuS = cpuSeconds(cpu0)
  await client.endAsync()
  return { recordsPerS: n / ((end - start) / 1000), recordsPerCpuS: n / cpuS, wireBytesPerRecord: bytes / n }
}

/**
 * MQTT.js's default store keys unacknowledged messages by their 16-bit packet id: publish `n` > 65,535 records at
 * QoS 1 while the broker is down, bring it back, and count what arrives (the agent's outbox keeps all of them).
 */
export async function peerOfflineLoss(n: number): Promise<PhaseResult> {
  const port = await freePort()
  const broker = await startMosquitto({ port, persistence: false })
  const url = `mqtt://127.0.0.1:${port}`
  const received = new Set<number>()
  const sub = await mqtt.connectAsync(url, { clientId: 'bench-loss-sub', clean: true, reconnectPeriod: 100 })
  sub.on('message', (_t, p) => received.add(Number(p.toString())))
  await sub.subscribeAsync('bench/loss', { qos: 1 })
  const pub = await mqtt.connectAsync(url, { clientId: 'bench-loss-pub', clean: false, reconnectPeriod: 0 })
  // reconnectPeriod 0: it reconnects when told, once the subscriber is back, so nothing it sends goes unseen.
  try {
    await broker.stop()
    while (pub.connected || sub.connected) await new Promise((r) => setTimeout(r, 10))
    for (let i = 0; i < n; i++) pub.publish('bench/loss', String(i), { qos: 1 })
    await broker.start()
    while (!sub.connected) await new Promise((r) => setTimeout(r, 10))
    await sub.subscribeAsync('bench/loss', { qos: 1 })
    // Its own stores again (reconnect() without them starts empty ones), as its automatic reconnect keeps them.
    pub.reconnect({ incomingStore: pub.incomingStore, outgoingStore: pub.outgoingStore })
    // Wait on progress: until nothing more has arrived for two seconds.
    let last = -1
    while (received.size !== last) {
      last = received.size
      await new Promise((r) => setTimeout(r, 2000))
    }
    return { published: n, arrived: received.size }
  } finally {
    pub.end(true)
    sub.end(true)
    await broker.stop()
  }
}
