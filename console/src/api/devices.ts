import { ConsoleDevices } from '@edgetwin/shared-schemas'
import type { ConsoleFastify, RouteContext } from './context.js'

/** Every agent's latest health report, its age and whether it is stale. */
export function registerDeviceRoutes(app: ConsoleFastify, ctx: RouteContext): void {
  app.get(
    '/api/devices',
    {
      schema: {
        summary: "every agent's latest health report (connection, queue, counters), its age, stale when older than staleAfterS",
        tags: ['devices'],
        response: { 200: ConsoleDevices },
      },
    },
    async () => {
      const now = ctx.now()
      const list = ctx.sources.deviceStatus.list
      if (!list) return { listed: false, staleAfterS: ctx.config.staleAfterS, serverTime: now.toISOString(), devices: [] }
      const reports = await list.call(ctx.sources.deviceStatus)
      const versions = await ctx.live.controllerVersions()
      return {
        listed: true,
        staleAfterS: ctx.config.staleAfterS,
        serverTime: now.toISOString(),
        devices: reports.map((report) => {
          const ageS = Math.max(0, (now.getTime() - Date.parse(report.time)) / 1000)
          return {
            deviceId: report.deviceId,
            report,
            ageS: Math.round(ageS * 10) / 10,
            stale: ageS > ctx.config.staleAfterS || report.status === 'offline',
            controllerVersion: versions.get(report.deviceId) ?? null,
          }
        }),
      }
    },
  )
}
