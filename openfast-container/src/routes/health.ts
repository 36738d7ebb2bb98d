import { Type } from '@edgetwin/shared-schemas'
import type { DispatchApp, RouteContext } from './context.js'

const Health = Type.Object(
  {
    status: Type.Literal('ok'),
    running: Type.Integer(),
    queued: Type.Integer(),
    engines: Type.Record(Type.String(), Type.String(), { description: 'engine name → version' }),
  },
  { additionalProperties: false },
)

export function registerHealthRoute(app: DispatchApp, ctx: RouteContext): void {
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'liveness and load (no token needed: load balancer health checks send none)',
        tags: ['service'],
        response: { 200: Health },
      },
    },
    async () => ({
      status: 'ok' as const,
      ...ctx.manager.counts(),
      engines: Object.fromEntries(ctx.engines.map((e) => [e.name, e.version])),
    }),
  )
}
