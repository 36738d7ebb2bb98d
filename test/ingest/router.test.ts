import { gzipSync } from 'node:zlib'
import { createLocalEventBus, createLocalIngest, type LocalIngest, readArchiveObjects } from '@edgetwin/cloud'
import { encodeEnvelope, type LocationDevicePositionEvent, telemetryTopic } from '@edgetwin/shared-schemas'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { envelope, healthReport, position, silentLogger, tempDir, turbineSample } from './support/fixtures.js'

describe('router with the local sinks', () => {
  let tmp: ReturnType<typeof tempDir>
  let ingest: LocalIngest
  let events: LocationDevicePositionEvent[]

  beforeEach(async () => {
    tmp = tempDir()
    const bus = createLocalEventBus()
    events = []
    bus.subscribe((e) => {
      events.push(e)
    })
    ingest = createLocalIngest({ dataDir: tmp.dir, bus, logger: silentLogger, archiveBufferIntervalMs: 60_000 })
    await ingest.start()
  })
  afterEach(async () => {
    await ingest.close()
    tmp.remove()
  })

  const metricsTopic = telemetryTopic('turbine', 'wt-1', 'metrics')
  const positionTopic = telemetryTopic('vehicle', 'van-1', 'position')

  it('drops a replayed batch: each record reaches each sink once', async () => {
    const batch = encodeEnvelope(
      envelope(
        'wt-1',
        'turbine',
        'metrics',
        1,
        [0, 1, 2, 3, 4].map((i) => turbineSample(i)),
      ),
    )
    expect(await ingest.router.handle(metricsTopic, batch)).toMatchObject({ outcome: 'routed', routed: 5 })
    expect(await ingest.router.handle(metricsTopic, batch)).toMatchObject({ outcome: 'duplicate', replayed: 5 })
    // A batch overlapping the previous one routes only the new records.
    const overlap = encodeEnvelope(
      envelope(
        'wt-1',
        'turbine',
        'metrics',
        4,
        [3, 4, 5, 6].map((i) => turbineSample(i)),
      ),
    )
    expect(await ingest.router.handle(metricsTopic, overlap)).toMatchObject({ outcome: 'routed', routed: 2, replayed: 2 })

    const points = await ingest.timeSeriesReader!.range({ deviceId: 'wt-1', measurement: 'turbine', fromMs: 0, toMs: Date.now() })
    expect(points.map((p) => p.seq)).toEqual([1, 2, 3, 4, 5, 6, 7])
    await ingest.archive.flush()
    const archived = readArchiveObjects(ingest.archiveRoot).flatMap((o) => o.records) as Array<{ Seq: number }>
    expect(archived.map((r) => r.Seq)).toEqual([1, 2, 3, 4, 5, 6, 7])
  })

  it('keeps the marks across a restart, so a replay after restart is still dropped', async () => {
    const batch = encodeEnvelope(envelope('van-1', 'vehicle', 'position', 1, [position(0), position(1)]))
    await ingest.router.handle(positionTopic, batch)
    await ingest.close()
    ingest = createLocalIngest({ dataDir: tmp.dir, bus: createLocalEventBus(), logger: silentLogger })
    await ingest.start()
    expect(await ingest.router.handle(positionTopic, batch)).toMatchObject({ outcome: 'duplicate' })
    expect(await ingest.tracker.history({ deviceId: 'van-1' })).toHaveLength(2)
  })

  it('routes positions to the tracker, which emits one event per stored position', async () => {
    const batch = encodeEnvelope(envelope('van-1', 'vehicle', 'position', 1, [position(0), position(0, { lon: -0.12755 }), position(2)]))
    await ingest.router.handle(positionTopic, batch)
    // The second fix moved ~3 m: Amazon Location's DistanceBased filter ignores it.
    expect((await ingest.tracker.history({ deviceId: 'van-1' })).map((p) => p.position[1])).toEqual([51.5, 51.502])
    expect(events.map((e) => e.detail.Position)).toEqual([
      [-0.1276, 51.5],
      [-0.1276, 51.502],
    ])
  })

  it('keeps the latest health report per device', async () => {
    const topic = telemetryTopic('vehicle', 'van-1', 'health')
    await ingest.router.handle(
      topic,
      encodeEnvelope(envelope('van-1', 'vehicle', 'health', 1, [healthReport('van-1', 5), healthReport('van-1', 3)])),
    )
    expect((await ingest.deviceStatus.get('van-1'))?.counters.accepted).toBe(5)
  })

  describe('dead letters', () => {
    const cases: Array<[string, string, Uint8Array, string]> = [
      ['a gzip bomb', metricsTopic, gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20)), 'ENVELOPE_INFLATE_LIMIT'],
      ['an oversized payload', metricsTopic, Buffer.alloc(200 * 1024, 0x7b), 'ENVELOPE_TOO_LARGE'],
      ['invalid JSON', metricsTopic, Buffer.from('{"deviceId": "wt-1",'), 'ENVELOPE_MALFORMED'],
      [
        'an unknown stream',
        'dt/edgetwin/turbine/wt-1/vibration',
        encodeEnvelope(envelope('wt-1', 'turbine', 'metrics', 1, [turbineSample(0)])),
        'STREAM_UNKNOWN',
      ],
      [
        'a record that fails its schema',
        metricsTopic,
        encodeEnvelope(envelope('wt-1', 'turbine', 'metrics', 1, [{ time: 'yesterday' }])),
        'SCHEMA_INVALID',
      ],
      [
        'a sample time that is no calendar day (2026-02-30)',
        positionTopic,
        encodeEnvelope(envelope('van-1', 'vehicle', 'position', 1, [position(0), position(1, { sampleTime: '2026-02-30T10:00:00Z' })])),
        'SCHEMA_INVALID',
      ],
      [
        'a sample time at hour 24',
        positionTopic,
        encodeEnvelope(envelope('van-1', 'vehicle', 'position', 1, [position(0, { sampleTime: '2026-07-01T24:00:00Z' })])),
        'SCHEMA_INVALID',
      ],
      [
        'a sample time at second 60',
        metricsTopic,
        encodeEnvelope(envelope('wt-1', 'turbine', 'metrics', 1, [turbineSample(0, { time: '2026-07-01T10:00:60Z' })])),
        'SCHEMA_INVALID',
      ],
      [
        'a device publishing as another',
        telemetryTopic('turbine', 'wt-2', 'metrics'),
        encodeEnvelope(envelope('wt-1', 'turbine', 'metrics', 1, [turbineSample(0)])),
        'TOPIC_MISMATCH',
      ],
    ]
    it.each(cases)('%s lands in the dead letters with a reason and the topic', async (_name, topic, payload, reason) => {
      const outcome = await ingest.router.handle(topic, payload)
      expect(outcome).toMatchObject({ outcome: 'dead-letter', reason })
      const [letter] = await ingest.deadLetters.list()
      expect(letter).toMatchObject({ topic, reason, payloadBytes: payload.length })
      expect(letter!.message.length).toBeGreaterThan(10)
      // An impossible time is named with its field and what is wrong with it; nothing of the batch was stored.
      if (/sample time|time at/.test(_name)) {
        expect(letter!.message).toMatch(
          /\/records\/\d\/data\/(sampleTime|time): '.*' is not a real UTC time .*: (day 30 does not exist|hour 24|second 60)/,
        )
        expect(await ingest.tracker.history({ deviceId: 'van-1' })).toEqual([])
      }
      // The router carries on: a good batch right after is routed.
      const ok = encodeEnvelope(envelope('wt-1', 'turbine', 'metrics', 1, [turbineSample(0)]))
      expect(await ingest.router.handle(metricsTopic, ok)).toMatchObject({ outcome: 'routed' })
    })
  })
})
