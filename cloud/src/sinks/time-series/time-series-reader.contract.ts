import { describe, expect, it } from 'vitest'
import type { TimeSeriesPoint, TimeSeriesStore } from './time-series-store.js'

export interface StoreHarness {
  readonly store: TimeSeriesStore
  cleanup(): Promise<void>
}

const T0 = Date.UTC(2025, 2, 1, 10, 0, 0)
const MIN = 60_000

/** 30 minutes of 1-per-minute samples: rotor speed 10 + (minute % 10), over-speed alarm every 7th minute. */
function series(deviceId: string): TimeSeriesPoint[] {
  return Array.from({ length: 30 }, (_, m) => ({
    deviceId,
    measurement: 'turbine' as const,
    timeMs: T0 + m * MIN,
    seq: m + 1,
    dimensions: {},
    measures: { rotorSpeedRpm: 10 + (m % 10), windSpeedMps: 8 },
    alarms: m % 7 === 0 ? ['overspeed'] : m === 12 ? ['overspeed', 'torque-limit'] : [],
  }))
}

/** What the anomaly detector relies on, for every readable store (SQLite, InfluxDB). */
export function timeSeriesReaderContract(name: string, create: () => Promise<StoreHarness>): void {
  describe(`TimeSeriesReader contract: ${name}`, () => {
    it('aggregates a field per 10-minute window aligned to the epoch: count, mean, min, max, sample std', async () => {
      const h = await create()
      try {
        await h.store.write(series('wt-1'))
        const w = await h.store.windows({
          deviceId: 'wt-1',
          measurement: 'turbine',
          field: 'rotorSpeedRpm',
          fromMs: T0,
          toMs: T0 + 30 * MIN,
        })
        // Each window holds minutes 0..9 of rotor speed 10..19: mean 14.5, sample std sqrt(82.5/9).
        expect(w.map((x) => x.windowStartMs)).toEqual([T0, T0 + 10 * MIN, T0 + 20 * MIN])
        for (const x of w) {
          expect(x).toMatchObject({ count: 10, mean: 14.5, min: 10, max: 19 })
          expect(x.std).toBeCloseTo(Math.sqrt(82.5 / 9), 9)
        }
        const five = await h.store.windows({
          deviceId: 'wt-1',
          measurement: 'turbine',
          field: 'rotorSpeedRpm',
          fromMs: T0,
          toMs: T0 + 10 * MIN,
          windowMs: 5 * MIN,
        })
        expect(five.map((x) => [x.count, x.mean])).toEqual([
          [5, 12],
          [5, 17],
        ])
      } finally {
        await h.cleanup()
      }
    })

    it('counts alarms per window', async () => {
      const h = await create()
      try {
        await h.store.write(series('wt-1'))
        const counts = await h.store.alarmCounts({ deviceId: 'wt-1', measurement: 'turbine', fromMs: T0, toMs: T0 + 30 * MIN })
        // overspeed at minutes 0, 7, 12, 14, 21, 28; torque-limit at 12.
        expect(counts).toEqual([
          { windowStartMs: T0, alarm: 'overspeed', count: 2 },
          { windowStartMs: T0 + 10 * MIN, alarm: 'overspeed', count: 2 },
          { windowStartMs: T0 + 10 * MIN, alarm: 'torque-limit', count: 1 },
          { windowStartMs: T0 + 20 * MIN, alarm: 'overspeed', count: 2 },
        ])
      } finally {
        await h.cleanup()
      }
    })

    it('answers ranges (start inclusive, end exclusive) per device, and lists devices', async () => {
      const h = await create()
      try {
        await h.store.write([...series('wt-1'), ...series('wt-2').slice(0, 3)])
        const r = await h.store.range({ deviceId: 'wt-1', measurement: 'turbine', fromMs: T0 + 5 * MIN, toMs: T0 + 8 * MIN })
        expect(r.map((p) => [p.seq, p.measures['rotorSpeedRpm'], p.alarms])).toEqual([
          [6, 15, []],
          [7, 16, []],
          [8, 17, ['overspeed']],
        ])
        expect(await h.store.devices('turbine')).toEqual(['wt-1', 'wt-2'])
        expect(await h.store.devices('turbine', T0 + 10 * MIN, T0 + 20 * MIN)).toEqual(['wt-1'])
      } finally {
        await h.cleanup()
      }
    })

    it('filters aggregates by dimension', async () => {
      const h = await create()
      try {
        const agg = (metric: string, i: number, mean: number): TimeSeriesPoint => ({
          deviceId: 'gw-1',
          measurement: 'aggregate',
          timeMs: T0 + i * MIN,
          seq: i + 1,
          dimensions: { sourceId: 'plant', metric },
          measures: { count: 10, mean },
          alarms: [],
        })
        await h.store.write([agg('flow', 0, 1), agg('temp', 1, 50), agg('flow', 2, 3)])
        const w = await h.store.windows({
          deviceId: 'gw-1',
          measurement: 'aggregate',
          field: 'mean',
          fromMs: T0,
          toMs: T0 + 10 * MIN,
          dimensions: { metric: 'flow' },
        })
        expect(w.map((x) => [x.count, x.mean])).toEqual([[2, 2]])
        const r = await h.store.range({
          deviceId: 'gw-1',
          measurement: 'aggregate',
          fromMs: T0,
          toMs: T0 + 10 * MIN,
          dimensions: { metric: 'temp' },
        })
        expect(r.map((p) => p.measures['mean'])).toEqual([50])
      } finally {
        await h.cleanup()
      }
    })
  })
}
