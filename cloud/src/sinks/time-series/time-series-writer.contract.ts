import { describe, expect, it } from 'vitest'
import type { TimeSeriesPoint, TimeSeriesWriter } from './time-series-store.js'

export interface WriterHarness {
  readonly writer: TimeSeriesWriter
  /** Every point the destination holds for the device, in time order. */
  readBack(deviceId: string): Promise<TimeSeriesPoint[]>
  cleanup(): Promise<void>
}

const T0 = Date.UTC(2025, 2, 1, 10)

export function samplePoint(deviceId: string, i: number): TimeSeriesPoint {
  return {
    deviceId,
    measurement: 'turbine',
    timeMs: T0 + i * 1000,
    seq: i + 1,
    dimensions: {},
    measures: { windSpeedMps: 8 + (i % 5) * 0.25, rotorSpeedRpm: 11.5, generatorPowerKw: 3000 + i },
    alarms: i % 4 === 0 ? ['overspeed'] : [],
  }
}

/** The behaviour every TimeSeriesWriter adapter must show (SQLite, InfluxDB, Timestream). */
export function timeSeriesWriterContract(name: string, create: () => Promise<WriterHarness>): void {
  describe(`TimeSeriesWriter contract: ${name}`, () => {
    it('writes every point once with its measures, time and alarms, beyond one call', async () => {
      const h = await create()
      try {
        const pts = [
          ...Array.from({ length: 150 }, (_, i) => samplePoint('wt-1', i)),
          ...Array.from({ length: 7 }, (_, i) => samplePoint('wt-2', i)),
        ]
        expect(await h.writer.write(pts)).toEqual({ written: 157, rejected: [] })
        const back = await h.readBack('wt-1')
        expect(back.map((p) => p.timeMs)).toEqual(pts.slice(0, 150).map((p) => p.timeMs))
        expect(back[4]!.measures).toEqual(pts[4]!.measures)
        expect(back.map((p) => p.alarms)).toEqual(pts.slice(0, 150).map((p) => p.alarms))
        expect(await h.readBack('wt-2')).toHaveLength(7)
      } finally {
        await h.cleanup()
      }
    })

    it('keeps dimensions of gateway aggregates', async () => {
      const h = await create()
      try {
        const p: TimeSeriesPoint = {
          deviceId: 'gw-1',
          measurement: 'aggregate',
          timeMs: T0,
          seq: 1,
          dimensions: { sourceId: 'plant-db', metric: 'flowM3h' },
          measures: { count: 60, mean: 12.5, max: 14 },
          alarms: [],
        }
        await h.writer.write([p])
        const [back] = await h.readBack('gw-1')
        expect(back).toMatchObject({ measurement: 'aggregate', dimensions: p.dimensions, measures: p.measures })
      } finally {
        await h.cleanup()
      }
    })
  })
}
