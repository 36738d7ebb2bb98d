import { daysInZoneReport, defaultZone, type PositionRow, parseDayRange, startEmbeddedBroker } from '@edgetwin/cloud'
import { expect, it } from 'vitest'
import { runFleetDemo } from '../../cli/src/demo/fleet.js'

const EARTH_RADIUS_M = 6_371_008.8
function distanceM(a: PositionRow, b: PositionRow): number {
  const rad = Math.PI / 180
  const h =
    Math.sin(((b.lat - a.lat) * rad) / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(((b.lon - a.lon) * rad) / 2) ** 2
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)))
}

/**
 * simulator → agents (30 m filter, SQLite outbox) → embedded broker → router → local tracker (30 m filter again)
 * → position events → enrichment and archive → days-in-zone report, compared with the simulator's ground truth.
 *
 * How the 30 m filter can change the answer: a position is dropped when it lies within 30 m of the last *kept*
 * one. A day inside the zone disappears from the pipeline only if every true position inside the zone that day is
 * within 30 m of a kept position that is outside the zone or on another day — a vehicle grazing the boundary by
 * less than 30 m, or one parked just inside the zone overnight whose first move of the day takes it out before it
 * is 30 m from where it parked. It can never add a day (nothing is invented), and it cannot remove a day on which
 * the vehicle moved more than 30 m while inside the zone (that position is kept). The test replays the filter on
 * the ground truth to show which of these cases occurred, so the equality below is checked, not assumed.
 */
it('counts the same days in the zone per vehicle as the ground truth of the simulation', async () => {
  const broker = await startEmbeddedBroker({ port: 0 })
  const lines: string[] = []
  try {
    const result = await runFleetDemo({
      vehicles: 10,
      days: 3,
      intervalS: 30,
      seed: 7,
      start: '2026-06-29',
      brokerUrl: broker.url,
      log: (l) => lines.push(l),
    })
    const zone = defaultZone()
    const range = parseDayRange('2026-06-29', '2026-07-01')
    const truthRows: PositionRow[] = []
    const filteredRows: PositionRow[] = []
    for (const v of result.simulation.vehicles) {
      let kept: PositionRow | undefined
      for (const p of result.simulation.groundTruth.positions(v.deviceId)) {
        const row = { deviceId: v.deviceId, ...p }
        truthRows.push(row)
        if (!kept || distanceM(kept, row) > 30) {
          kept = row
          filteredRows.push(row)
        }
      }
    }
    const truth = daysInZoneReport(truthRows, zone, { range, dailyFee: 12.5 })
    const replayed = daysInZoneReport(filteredRows, zone, { range, dailyFee: 12.5 })
    expect(replayed).toEqual(truth) // no day of this run hinged on a position the filter drops
    expect(result.report).toEqual(truth)

    // The run is a real one: some vehicles were in the zone, some not, and the filter dropped positions.
    expect(truth.some((r) => r.daysInZone > 0)).toBe(true)
    expect(truth.some((r) => r.daysInZone < 3)).toBe(true)
    expect(result.simulation.filtered).toBeGreaterThan(0)
    expect(result.simulation.undelivered).toBe(0)
    expect(result.counters.failed).toBe(0)
    expect(result.counters.enriched).toBe(result.simulation.accepted)
    expect(result.counters.archived).toBe(result.simulation.accepted)
    expect(lines.at(-1)).toMatch(/total charges: \d+\.\d\d/)
  } finally {
    await broker.close()
  }
})
