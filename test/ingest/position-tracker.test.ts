import { createLocalEventBus, createLocalPositionTracker, createLocationPositionTracker, openCloudDatabase } from '@edgetwin/cloud'
import { type LocationDevicePositionEvent, validators } from '@edgetwin/shared-schemas'
import { describe, expect, it } from 'vitest'
import { positionTrackerContract } from '../../cloud/src/sinks/position-tracker/position-tracker.contract.js'
import { noSleep } from '../support/aws-wire.js'
import { silentLogger } from './support/fixtures.js'
import { startLocationWire } from './support/location-wire.js'

positionTrackerContract('local (SQLite + event bus)', async () => {
  const db = openCloudDatabase(':memory:')
  const tracker = createLocalPositionTracker({ db, bus: createLocalEventBus(), logger: silentLogger })
  return { tracker, cleanup: async () => db.close() }
})

positionTrackerContract('Amazon Location at the wire', async () => {
  const wire = await startLocationWire('edgetwin-tracker', { pageSize: 5 })
  const tracker = createLocationPositionTracker({ client: wire.client, trackerName: 'edgetwin-tracker', logger: silentLogger })
  return { tracker, cleanup: () => wire.close() }
})

describe('local tracker events', () => {
  it('emits a Location Device Position Event in EventBridge shape for each stored position only', async () => {
    const db = openCloudDatabase(':memory:')
    const bus = createLocalEventBus()
    const events: LocationDevicePositionEvent[] = []
    bus.subscribe((e) => {
      events.push(e)
    })
    const tracker = createLocalPositionTracker({
      db,
      bus,
      logger: silentLogger,
      trackerName: 'fleet',
      account: '123456789012',
      region: 'eu-west-2',
      now: () => new Date('2025-03-01T08:00:05.000Z'),
    })
    await tracker.update([
      { deviceId: 'van-1', sampleTime: '2025-03-01T08:00:00.000Z', position: [-0.1, 51.5], accuracyM: 4 },
      { deviceId: 'van-1', sampleTime: '2025-03-01T08:00:01.000Z', position: [-0.1, 51.5001] },
    ])
    expect(events).toHaveLength(1)
    const [e] = events
    expect(validators.LocationDevicePositionEvent.check(e)).toBe(true)
    expect({ ...e, id: 'x' }).toEqual({
      version: '0',
      id: 'x',
      'detail-type': 'Location Device Position Event',
      source: 'aws.geo',
      account: '123456789012',
      // EventBridge's `time` is whole seconds; ReceivedTime keeps the milliseconds.
      time: '2025-03-01T08:00:05Z',
      region: 'eu-west-2',
      resources: ['arn:aws:geo:eu-west-2:123456789012:tracker/fleet'],
      detail: {
        EventType: 'UPDATE',
        TrackerName: 'fleet',
        DeviceId: 'van-1',
        SampleTime: '2025-03-01T08:00:00.000Z',
        ReceivedTime: '2025-03-01T08:00:05.000Z',
        Position: [-0.1, 51.5],
        Accuracy: { Horizontal: 4 },
      },
    })
    db.close()
  })

  it('a failing consumer does not fail the update (EventBridge targets are independent)', async () => {
    const db = openCloudDatabase(':memory:')
    const bus = createLocalEventBus()
    const seen: string[] = []
    bus.subscribe(() => {
      throw new Error('enrichment down')
    })
    bus.subscribe((e) => {
      seen.push(e.detail.DeviceId)
    })
    const tracker = createLocalPositionTracker({ db, bus, logger: silentLogger })
    await expect(tracker.update([{ deviceId: 'van-1', sampleTime: '2025-03-01T08:00:00.000Z', position: [0, 51] }])).resolves.toMatchObject(
      {
        written: 1,
      },
    )
    expect(seen).toEqual(['van-1'])
    db.close()
  })
})

describe('Amazon Location adapter at the wire', () => {
  const upd = (i: number) => ({
    deviceId: `van-${i % 3}`,
    sampleTime: new Date(Date.UTC(2025, 2, 1, 8, 0, i)).toISOString(),
    position: [0.01 * i, 51] as [number, number],
  })

  it('sends at most 10 updates per BatchUpdateDevicePosition call', async () => {
    const wire = await startLocationWire('t')
    try {
      const tracker = createLocationPositionTracker({ client: wire.client, trackerName: 't', logger: silentLogger })
      await tracker.update(Array.from({ length: 23 }, (_, i) => upd(i)))
      expect(wire.batchSizes).toEqual([10, 10, 3])
      expect(wire.server.requests[0]!.json().Updates[0]).toEqual({
        DeviceId: 'van-0',
        SampleTime: '2025-03-01T08:00:00Z',
        Position: [0, 51],
      })
    } finally {
      await wire.close()
    }
  })

  it('resends only the entries in Errors with a retryable code; reports the others as rejected', async () => {
    const wire = await startLocationWire('t', {
      itemError: (call, u) =>
        u.DeviceId === 'van-1' && call === 1 ? 'ThrottlingError' : u.DeviceId === 'van-2' ? 'ValidationError' : undefined,
    })
    const sleeps: number[] = []
    try {
      const tracker = createLocationPositionTracker({
        client: wire.client,
        trackerName: 't',
        logger: silentLogger,
        backoff: { sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 },
      })
      const result = await tracker.update(Array.from({ length: 6 }, (_, i) => upd(i)))
      // Call 1: all 6; van-1 (i=1,4) throttled, van-2 (i=2,5) invalid. Call 2: only van-1's two.
      expect(wire.sent).toEqual([
        ['0', '1', '2', '3', '4', '5'].map((i) => `van-${Number(i) % 3}@2025-03-01T08:00:0${i}Z`),
        ['van-1@2025-03-01T08:00:01Z', 'van-1@2025-03-01T08:00:04Z'],
      ])
      expect(sleeps).toEqual([25])
      expect(result.rejected.map((r) => [r.index, r.code])).toEqual([
        [2, 'ValidationError'],
        [5, 'ValidationError'],
      ])
      expect(await tracker.history({ deviceId: 'van-1' })).toHaveLength(2)
    } finally {
      await wire.close()
    }
  })

  it('backs off on a throttled call (HTTP 429) and gives up with a coded error after maxAttempts', async () => {
    const wire = await startLocationWire('t', { throttleFirstCalls: 100 })
    try {
      const tracker = createLocationPositionTracker({
        client: wire.client,
        trackerName: 't',
        logger: silentLogger,
        backoff: { sleep: noSleep, maxAttempts: 4 },
      })
      await expect(tracker.update([upd(0)])).rejects.toMatchObject({ code: 'CLOUD_RETRIES_EXHAUSTED' })
      expect(wire.batchSizes).toEqual([1, 1, 1, 1])
    } finally {
      await wire.close()
    }
  })
})
