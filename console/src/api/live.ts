import { ConsoleLiveUpdate, ConsoleSettings } from '@edgetwin/shared-schemas'
import type { ConsoleFastify, RouteContext } from './context.js'

/** The console's settings and zone, and the Server-Sent Events stream of coalesced live updates. */
export function registerLiveRoutes(app: ConsoleFastify, ctx: RouteContext): void {
  app.get(
    '/api/settings',
    {
      schema: {
        summary: 'map settings (basemap, zone polygon), stale threshold, report defaults',
        tags: ['console'],
        response: { 200: ConsoleSettings },
      },
    },
    async () => {
      const zone = ctx.sources.zone
      return {
        basemapUrl: ctx.config.basemapUrl ?? null,
        basemapAttribution: ctx.config.basemapAttribution ?? null,
        staleAfterS: ctx.config.staleAfterS,
        dailyFee: ctx.config.dailyFee,
        chargingTimeZone: ctx.sources.chargingTimeZone,
        serverTime: ctx.now().toISOString(),
        zone: {
          id: zone.id,
          coordinates: zone.polygons.map((p) => p.map((ring) => ring.map((pt) => [pt[0], pt[1]]))),
          bbox: [...zone.bbox],
        },
        twin: ctx.sources.twin !== undefined,
      }
    },
  )

  app.get(
    '/api/live',
    {
      schema: {
        summary: `Server-Sent Events: \`event: update\` with what changed, at most one per ${ctx.config.pushIntervalMs} ms per client`,
        tags: ['console'],
        produces: ['text/event-stream'],
        response: { 200: { ...ConsoleLiveUpdate, description: 'each event’s data (JSON)' } },
      },
    },
    (request, reply) => {
      reply.hijack()
      const res = reply.raw
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      })
      // The browser reconnects after `retry` ms if the connection drops, then refetches the snapshot.
      res.write(`retry: 2000\n: connected\n\n`)
      const remove = ctx.live.add({
        send: (_update, frame) => {
          res.write(frame)
        },
      })
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000)
      keepAlive.unref()
      request.raw.on('close', () => {
        clearInterval(keepAlive)
        remove()
      })
    },
  )
}
