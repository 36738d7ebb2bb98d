import {
  ExecuteRequest,
  ExecuteResponse,
  OptionalSimulationIdQuery,
  SimulationIdQuery,
  SimulationStatus,
  SimulationStatusList,
  Type,
} from '@edgetwin/shared-schemas'
import { bearerSecurity, type DispatchApp, errorResponses, type RouteContext } from './context.js'

/** `PUT /execute`, `GET /status`, `DELETE /simulation`: the reference architecture's dispatch API. */
export function registerSimulationRoutes(app: DispatchApp, ctx: RouteContext): void {
  app.put(
    '/execute',
    {
      schema: {
        summary: 'start a simulation (parametric, or of an uploaded deck); answers 202 with its id',
        tags: ['simulations'],
        security: bearerSecurity,
        body: ExecuteRequest,
        response: { 202: ExecuteResponse, ...errorResponses(400, 401, 413, 429) },
      },
    },
    async (request, reply) => {
      const body = request.body
      // The validator does not fill defaults; the request schema's defaults are applied here.
      const withDefaults = 'deckId' in body ? body : { ...body, turbulenceIntensity: body.turbulenceIntensity ?? 0, seed: body.seed ?? 1 }
      if ('deckId' in body) await ctx.decks.dir(body.deckId)
      const status = ctx.manager.submit(withDefaults)
      return reply
        .status(202)
        .header('location', `/status?id=${status.id}`)
        .send({ id: status.id, state: status.state, statusUrl: `/status?id=${status.id}`, resultsUrl: `/simulations/${status.id}/results` })
    },
  )

  app.get(
    '/status',
    {
      schema: {
        summary: 'status of every simulation, or of one with ?id=',
        tags: ['simulations'],
        security: bearerSecurity,
        querystring: OptionalSimulationIdQuery,
        response: { 200: Type.Union([SimulationStatus, SimulationStatusList]), ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => (request.query.id !== undefined ? ctx.manager.get(request.query.id) : { simulations: ctx.manager.list() }),
  )

  app.delete(
    '/simulation',
    {
      schema: {
        summary: 'cancel a simulation if it is queued or running, and delete its files',
        tags: ['simulations'],
        security: bearerSecurity,
        querystring: SimulationIdQuery,
        response: { 200: SimulationStatus, ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => ctx.manager.delete(request.query.id),
  )
}
