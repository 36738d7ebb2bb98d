import { createAgent } from '@edgetwin/agent'
import { type Cloud, createCloud, type EmbeddedBroker, readArchiveObjects, startEmbeddedBroker } from '@edgetwin/cloud'
import { type StreamName, telemetryTopic } from '@edgetwin/shared-schemas'
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type MosquittoHandle, startMosquitto } from '../support/mosquitto.js'
import { position, silentLogger, tempDir, turbineSample } from './support/fixtures.js'

const METRICS = 1200
const POSITIONS = 240
const EVENTS = 25

async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/**
 * Two real agents (a turbine and a vehicle) publish through `brokerUrl`; the cloud runtime routes; the router is
 * restarted half-way (its persistent session keeps what arrives meanwhile) and a batch is replayed by hand.
 * Every accepted record must end up exactly once in each local sink its stream routes to.
 */
async function endToEnd(brokerUrl: string, protocolVersion: 4 | 5): Promise<void> {
  const tmp = tempDir('edgetwin-e2e-')
  const cloudConfig = {
    dataDir: `${tmp.dir}/cloud`,
    broker: { url: brokerUrl, protocolVersion, clientId: `router-${protocolVersion}-${Date.now()}` },
    archive: { bufferIntervalS: 900 },
    logLevel: 'silent',
  }
  let cloud: Cloud = createCloud(cloudConfig, { logger: silentLogger })
  await cloud.start()
  const agentBase = {
    logLevel: 'silent',
    healthIntervalS: 0,
    broker: { url: brokerUrl, protocolVersion },
    reconnect: { initialDelayMs: 50, maxDelayMs: 500, stableAfterMs: 1000 },
    publish: { maxRecordsPerBatch: 50 },
  }
  const turbine = createAgent({ ...agentBase, deviceId: 'wt-e2e', kind: 'turbine', dataDir: `${tmp.dir}/wt` })
  const vehicle = createAgent({
    ...agentBase,
    deviceId: 'van-e2e',
    kind: 'vehicle',
    dataDir: `${tmp.dir}/van`,
    vehicle: { distanceFilterM: 30 },
  })
  const accepted: Record<string, number[]> = { 'wt-e2e/metrics': [], 'wt-e2e/events': [], 'van-e2e/position': [] }
  const take = (key: string, r: { seq: number | null }) => {
    if (r.seq !== null) accepted[key]!.push(r.seq)
  }
  try {
    await turbine.start()
    await vehicle.start()
    // Accepted concurrently: the outbox assigns sequence numbers in call order and group-commits them.
    const acceptMetrics = async (from: number, to: number) => {
      const results = await Promise.all(Array.from({ length: to - from }, (_, k) => turbine.accept('metrics', turbineSample(from + k))))
      for (const r of results) take('wt-e2e/metrics', r)
    }
    await acceptMetrics(0, METRICS / 2)
    for (let i = 0; i < POSITIONS / 2; i++) {
      take('van-e2e/position', await vehicle.accept('position', position(i)))
      // ~3 m from the last: the agent's own 30 m filter drops it before it is ever accepted.
      take('van-e2e/position', await vehicle.accept('position', position(i, { lon: -0.12764 })))
    }
    await waitFor(async () => (await cloud.ingest.timeSeriesReader!.range(range('wt-e2e'))).length >= METRICS / 2, 20_000, 'first half')

    // The router goes away; the broker keeps its persistent session and queues the QoS 1 messages meanwhile.
    await cloud.close()
    await acceptMetrics(METRICS / 2, METRICS)
    for (let i = POSITIONS / 2; i < POSITIONS; i++) take('van-e2e/position', await vehicle.accept('position', position(i)))
    for (let i = 0; i < EVENTS; i++) {
      take('wt-e2e/events', await turbine.accept('events', { time: turbineSample(i).time, type: 'alarm.raised', severity: 'warning' }))
    }
    await waitFor(() => turbine.health().queueDepth === 0 && vehicle.health().queueDepth === 0, 20_000, 'agents to drain into the broker')
    cloud = createCloud(cloudConfig, { logger: silentLogger })
    await cloud.start()

    // An at-least-once redelivery: the same batch published again must not reach any sink twice.
    const raw = await mqtt.connectAsync(brokerUrl, { protocolVersion })
    const { encodeEnvelope } = await import('@edgetwin/shared-schemas')
    const replay = encodeEnvelope({
      deviceId: 'wt-e2e',
      kind: 'turbine',
      stream: 'metrics',
      schemaVersion: 1,
      firstSeq: 1,
      lastSeq: 3,
      records: [1, 2, 3].map((seq) => ({ seq, data: turbineSample(seq - 1) })),
    })
    await raw.publishAsync(telemetryTopic('turbine', 'wt-e2e', 'metrics'), replay, { qos: 1 })
    await raw.endAsync()

    expect(accepted['wt-e2e/metrics']).toHaveLength(METRICS)
    expect(accepted['van-e2e/position']).toHaveLength(POSITIONS)
    const reader = cloud.ingest.timeSeriesReader!
    await waitFor(async () => (await reader.range(range('wt-e2e'))).length >= METRICS, 30_000, 'all metrics in the time series store')
    await waitFor(
      async () => (await cloud.ingest.tracker.history({ deviceId: 'van-e2e' })).length >= POSITIONS,
      30_000,
      'all positions in the tracker',
    )
    await waitFor(() => cloud.ingest.router.stats().duplicateBatches >= 1, 10_000, 'the replayed batch')
    await new Promise((r) => setTimeout(r, 200))
    await cloud.ingest.archive.flush()

    // Time series: every accepted metric once.
    const points = await reader.range(range('wt-e2e'))
    expect(points.map((p) => p.seq)).toEqual(accepted['wt-e2e/metrics'])
    // Tracker: every accepted position once (all are > 30 m apart, so Location-style filtering keeps them all).
    const history = await cloud.ingest.tracker.history({ deviceId: 'van-e2e' })
    expect(history).toHaveLength(POSITIONS)
    expect(new Set(history.map((h) => h.sampleTime)).size).toBe(POSITIONS)
    // Archive: every accepted record of every stream once, partitioned by device.
    const objects = readArchiveObjects(`${tmp.dir}/cloud/objects`)
    for (const o of objects) expect(o.key).toMatch(/^archive\/(wt-e2e|van-e2e)\/\d{4}\/\d{2}\/\d{2}\/[^/]+\.gz$/)
    const archived = objects.flatMap((o) => o.records) as Array<{ DeviceId: string; Stream: StreamName; Seq: number }>
    for (const [key, seqs] of Object.entries(accepted)) {
      const [deviceId, stream] = key.split('/')
      const got = archived.filter((r) => r.DeviceId === deviceId && r.Stream === stream).map((r) => r.Seq)
      expect(got, key).toEqual(seqs)
    }
    expect(archived).toHaveLength(METRICS + POSITIONS + EVENTS)
    expect(await cloud.ingest.deadLetters.list()).toEqual([])
  } finally {
    await turbine.close()
    await vehicle.close()
    await cloud.close()
    tmp.remove()
  }
}

const range = (deviceId: string) => ({ deviceId, measurement: 'turbine' as const, fromMs: 0, toMs: Date.UTC(2100, 0) })

describe('end to end: agents → embedded aedes broker → router → local sinks', () => {
  let broker: EmbeddedBroker
  beforeAll(async () => {
    broker = await startEmbeddedBroker({ port: 0 })
  })
  afterAll(async () => broker?.close())

  it('every accepted record reaches each sink exactly once (MQTT 3.1.1)', async () => {
    await endToEnd(broker.url, 4)
  })
})

describe('end to end: agents → Mosquitto → router → local sinks', () => {
  let broker: MosquittoHandle
  beforeAll(async () => {
    broker = await startMosquitto()
  })
  afterAll(async () => broker?.stop())

  it('every accepted record reaches each sink exactly once (MQTT 5)', async () => {
    await endToEnd(broker.url, 5)
  })

  it('every accepted record reaches each sink exactly once (MQTT 3.1.1)', async () => {
    await endToEnd(broker.url, 4)
  })
})
