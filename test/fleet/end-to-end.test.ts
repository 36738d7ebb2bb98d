import { readFileSync } from 'node:fs'
import { type PositionRow, startEmbeddedBroker } from '@edgetwin/cloud'
import { expect, it } from 'vitest'
import { runFleetDemo } from '../../cli/src/demo/fleet.js'

// The expected answer is computed here, independently of the product's zone and report code: the zone's rings read
// straight from its GeoJSON, an even-odd ray-casting test, and the London calendar date of each sample.
type Ring = ReadonlyArray<readonly [number, number]>
const zoneFile = new URL('../../cloud/src/analytics/zones/ulez-2021-expansion.geojson', import.meta.url)
const rings: Ring[] = (
  JSON.parse(readFileSync(zoneFile, 'utf8')) as { features: Array<{ geometry: { type: string; coordinates: unknown } }> }
).features.flatMap((f) =>
  f.geometry.type === 'Polygon' ? (f.geometry.coordinates as Ring[]) : (f.geometry.coordinates as Ring[][]).flat(),
)

/** Even-odd rule over every ring: a point inside an odd number of rings is in the zone (holes are even). */
function insideZone(lon: number, lat: number): boolean {
  let inside = false
  for (const ring of rings) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i]!
      const [xj, yj] = ring[j]!
      if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside
    }
  }
  return inside
}

const londonDate = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' })

/** Per vehicle, the London dates from `from` to `to` with at least one position inside the zone, ascending. */
function expectedDaysInZone(rows: readonly PositionRow[], vehicles: readonly string[], from: string, to: string) {
  const days = new Map<string, Set<string>>(vehicles.map((v) => [v, new Set()]))
  for (const r of rows) {
    const day = londonDate.format(new Date(r.sampleTime))
    if (day >= from && day <= to && insideZone(r.lon, r.lat)) days.get(r.deviceId)!.add(day)
  }
  return [...days].map(([deviceId, d]) => ({ deviceId, days: [...d].sort(), charges: d.size * 12.5 }))
}

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
    const vehicles = result.simulation.vehicles.map((v) => v.deviceId)
    const truth = expectedDaysInZone(truthRows, vehicles, '2026-06-29', '2026-07-01')
    const replayed = expectedDaysInZone(filteredRows, vehicles, '2026-06-29', '2026-07-01')
    expect(replayed).toEqual(truth) // no day of this run hinged on a position the filter drops
    const reported = [...result.report]
      .map((r) => ({ deviceId: r.deviceId, days: [...r.days], charges: r.charges }))
      .sort((a, b) => a.deviceId.localeCompare(b.deviceId))
    expect(reported).toEqual([...truth].sort((a, b) => a.deviceId.localeCompare(b.deviceId)))
    expect(result.report.every((r) => r.daysInZone === r.days.length)).toBe(true)

    // The run is a real one: some vehicles were in the zone, some not, and the filter dropped positions.
    expect(truth.some((r) => r.days.length > 0)).toBe(true)
    expect(truth.some((r) => r.days.length < 3)).toBe(true)
    expect(result.simulation.filtered).toBeGreaterThan(0)
    expect(result.simulation.undelivered).toBe(0)
    expect(result.counters.failed).toBe(0)
    expect(result.counters.enriched).toBe(result.simulation.accepted)
    expect(result.counters.archived).toBe(result.simulation.accepted)
    // Each progress line names the day it simulated, the last one 2026-07-01, not the midnight after it.
    expect(lines.filter((l) => /^fleet: day \d\/3 simulated/.test(l)).map((l) => l.match(/\((\d{4}-\d\d-\d\d)\)/)?.[1])).toEqual([
      '2026-06-29',
      '2026-06-30',
      '2026-07-01',
    ])
  } finally {
    await broker.close()
  }
})
