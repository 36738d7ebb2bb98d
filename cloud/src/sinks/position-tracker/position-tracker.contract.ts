import { describe, expect, it } from 'vitest'
import type { DevicePositionUpdate, PositionTracker } from './position-tracker.js'

export interface TrackerHarness {
  readonly tracker: PositionTracker
  cleanup(): Promise<void>
}

const at = (deviceId: string, s: number, lon: number, lat: number): DevicePositionUpdate => ({
  deviceId,
  sampleTime: new Date(Date.UTC(2025, 2, 1, 8, 0, s)).toISOString(),
  position: [lon, lat],
})

/** The behaviour every PositionTracker adapter must show: Amazon Location's DistanceBased filtering and history. */
export function positionTrackerContract(name: string, create: () => Promise<TrackerHarness>): void {
  describe(`PositionTracker contract: ${name}`, () => {
    it('stores the first position, ignores moves under 30 m, stores moves over 30 m', async () => {
      const h = await create()
      try {
        // 0.0001 deg of latitude is ~11 m; 0.0005 deg is ~56 m.
        await h.tracker.update([at('van-1', 0, -0.1, 51.5), at('van-1', 1, -0.1, 51.5001), at('van-1', 2, -0.1, 51.5002)])
        await h.tracker.update([at('van-1', 3, -0.1, 51.5005), at('van-1', 4, -0.1, 51.5007)])
        const history = await h.tracker.history({ deviceId: 'van-1' })
        // The filter compares with the last *stored* position: 51.5007 is 22 m from 51.5005, so it is ignored too.
        expect(history.map((p) => p.position)).toEqual([
          [-0.1, 51.5],
          [-0.1, 51.5005],
        ])
        expect(history.map((p) => p.sampleTime)).toEqual([at('x', 0, 0, 0).sampleTime, at('x', 3, 0, 0).sampleTime])
      } finally {
        await h.cleanup()
      }
    })

    it('filters each device on its own and takes more than 10 updates at once', async () => {
      const h = await create()
      try {
        const updates = Array.from({ length: 25 }, (_, i) => at(i % 2 === 0 ? 'van-a' : 'van-b', i, 0.001 * i, 51))
        const result = await h.tracker.update(updates)
        expect(result.rejected).toEqual([])
        expect(await h.tracker.history({ deviceId: 'van-a' })).toHaveLength(13)
        expect(await h.tracker.history({ deviceId: 'van-b' })).toHaveLength(12)
      } finally {
        await h.cleanup()
      }
    })

    it('answers history for a time range, start inclusive, end exclusive', async () => {
      const h = await create()
      try {
        await h.tracker.update([0, 1, 2, 3].map((s) => at('van-1', s, 0.01 * s, 51)))
        const mid = await h.tracker.history({ deviceId: 'van-1', from: at('x', 1, 0, 0).sampleTime, to: at('x', 3, 0, 0).sampleTime })
        expect(mid.map((p) => p.position[0])).toEqual([0.01, 0.02])
      } finally {
        await h.cleanup()
      }
    })
  })
}
