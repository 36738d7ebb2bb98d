import {
  collect,
  daysInZoneReport,
  GeofenceDetector,
  parseDayRange,
  type ReadStats,
  rangeInstants,
  replacementReport,
} from '@edgetwin/cloud'
import {
  ConsoleDaysInZone,
  ConsoleReplacement,
  ConsoleReportQuery,
  ConsoleTrack,
  ConsoleTrackQuery,
  ConsoleVehicles,
  DeviceId,
  Type,
} from '@edgetwin/shared-schemas'
import type { ConsoleFastify, RouteContext } from './context.js'

const TAGS = ['fleet']

/** Fleet routes: last positions, a vehicle's day, and the two zone reports computed as the CLI computes them. */
export function registerFleetRoutes(app: ConsoleFastify, ctx: RouteContext): void {
  const { sources } = ctx
  app.get(
    '/api/fleet/vehicles',
    { schema: { summary: "every vehicle's last stored position", tags: TAGS, response: { 200: ConsoleVehicles } } },
    async () => {
      if (!sources.tracker.latest) return { listed: false, vehicles: [] }
      const latest = await sources.tracker.latest()
      return {
        listed: true,
        vehicles: latest.map((p) => ({
          deviceId: p.deviceId,
          sampleTime: p.sampleTime,
          receivedTime: p.receivedTime,
          lon: p.position[0],
          lat: p.position[1],
          insideZone: sources.zone.contains(p.position[0], p.position[1]),
        })),
      }
    },
  )

  app.get(
    '/api/fleet/vehicles/:deviceId/track',
    {
      schema: {
        summary: 'positions stored by the tracker on one charging day, and the zone ENTER/EXIT among them',
        tags: TAGS,
        params: Type.Object({ deviceId: DeviceId }),
        querystring: ConsoleTrackQuery,
        response: { 200: ConsoleTrack },
      },
    },
    async (request) => {
      const { deviceId } = request.params
      const { day } = request.query
      const timeZone = sources.chargingTimeZone
      const { startMs, endMs } = rangeInstants(parseDayRange(day, day), timeZone)
      const stored = await sources.tracker.history({
        deviceId,
        from: new Date(startMs).toISOString(),
        to: new Date(endMs).toISOString(),
      })
      // The same detector and dwell as the live geofence consumer, run over the day's stored positions.
      const detector = new GeofenceDetector(sources.zone, { minDwellS: sources.minDwellS })
      const events = stored.flatMap((p) =>
        detector
          .update({ deviceId, sampleTime: p.sampleTime, lon: p.position[0], lat: p.position[1] })
          .map((e) => ({ EventType: e.EventType, GeofenceId: e.GeofenceId, SampleTime: e.SampleTime, Position: [...e.Position] })),
      )
      return {
        deviceId,
        day,
        timeZone,
        positions: stored.map((p) => ({ sampleTime: p.sampleTime, lon: p.position[0], lat: p.position[1] })),
        events,
      }
    },
  )

  app.get(
    '/api/fleet/reports/days-in-zone',
    {
      schema: {
        summary: 'days inside the zone and charges per vehicle (the numbers of `edgetwin fleet report days-in-zone`)',
        tags: TAGS,
        querystring: ConsoleReportQuery,
        response: { 200: ConsoleDaysInZone },
      },
    },
    async (request) => {
      const { from, to } = request.query
      const dailyFee = request.query.fee ?? ctx.config.dailyFee
      const stats: ReadStats = { files: 0, rows: 0, skipped: 0 }
      const rows = await collect(sources.archivePositions(stats))
      const report = daysInZoneReport(rows, sources.zone, {
        range: parseDayRange(from, to),
        dailyFee,
        timeZone: sources.chargingTimeZone,
      })
      const charges = report.reduce((sum, r) => sum + Math.round(r.charges * 100), 0) / 100
      return {
        from,
        to,
        dailyFee,
        timeZone: sources.chargingTimeZone,
        rows: report.map((r) => ({ ...r, days: [...r.days] })),
        totals: { vehicles: report.length, daysInZone: report.reduce((sum, r) => sum + r.daysInZone, 0), charges },
        skippedRows: stats.skipped,
      }
    },
  )

  app.get(
    '/api/fleet/reports/replacement',
    {
      schema: {
        summary: 'vehicles missing the emission standards, highest mileage per year first (`edgetwin fleet report replacement`)',
        tags: TAGS,
        querystring: Type.Object({ from: ConsoleReportQuery.properties.from, to: ConsoleReportQuery.properties.to }),
        response: { 200: ConsoleReplacement },
      },
    },
    async (request) => {
      const { from, to } = request.query
      const rows = await collect(sources.enrichedPositions({ files: 0, rows: 0, skipped: 0 }))
      return {
        from,
        to,
        rows: replacementReport(rows, sources.zone, { range: parseDayRange(from, to), timeZone: sources.chargingTimeZone }),
      }
    },
  )
}
