import {
  DeckSimulationRequest,
  ExecuteRequest,
  ExecuteResponse,
  OptionalSimulationIdQuery,
  SimulationIdQuery,
  SimulationRequest,
  SimulationStatus,
  SimulationStatusList,
  Type,
} from '@edgetwin/shared-schemas'
import { Compile } from 'typebox/compile'
import { checkDeckOutputSize } from '../engines/output-estimate.js'
import { DispatchError } from '../errors.js'
import { bearerSecurity, type DispatchApp, errorResponses, inline, type RouteContext } from './context.js'

/** `PUT /execute`, `GET /status`, `DELETE /simulation`: the reference architecture's dispatch API. */
const parametric = Compile(inline(SimulationRequest))
const deck = Compile(inline(DeckSimulationRequest))

/** The value at a JSON pointer (`/controllerParameters/maxGeneratorTorqueNm`), to name what was received. */
function at(value: unknown, pointer: string): unknown {
  return pointer
    .split('/')
    .slice(1)
    .reduce<unknown>(
      (v, key) =>
        v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined,
      value,
    )
}

function validateExecuteBody(value: unknown): { value?: unknown; error?: Error } {
  const check = value !== null && typeof value === 'object' && 'deckId' in value ? deck : parametric
  if (check.Check(value)) {
    const { dtS, outputDtS } = value as { dtS?: number; outputDtS?: number }
    if (dtS !== undefined && outputDtS !== undefined && outputDtS < dtS) {
      return { error: new DispatchError('DISPATCH_INVALID_REQUEST', `body/outputDtS ${outputDtS} must be at least dtS ${dtS} (s)`) }
    }
    return { value }
  }
  const details = check
    .Errors(value)
    .filter((e) => e.keyword !== 'boolean')
    .slice(0, 10)
    .map((e) => {
      const extra =
        e.keyword === 'additionalProperties' ? JSON.stringify(e.params) : `received ${JSON.stringify(at(value, e.instancePath))}`
      return `body${e.instancePath} ${e.message} (${extra})`
    })
  return { error: new DispatchError('DISPATCH_INVALID_REQUEST', `invalid request: ${details.join('; ')}`) }
}

export function registerSimulationRoutes(app: DispatchApp, ctx: RouteContext): void {
  app.put(
    '/execute',
    {
      // The body is one of two shapes; validate against the one it claims (a deckId or not), so that the error
      // names the fields of that shape instead of listing both alternatives.
      validatorCompiler: ({ httpPart }) => (httpPart === 'body' ? validateExecuteBody : () => true),
      schema: {
        summary: 'start a simulation (parametric, or of an uploaded deck); answers 202 with its id',
        tags: ['simulations'],
        security: bearerSecurity,
        body: inline(ExecuteRequest),
        response: { 202: inline(ExecuteResponse), ...errorResponses(400, 401, 413, 429) },
      },
    },
    async (request, reply) => {
      const body = request.body
      // The validator does not fill defaults; the request schema's defaults are applied here.
      const withDefaults = 'deckId' in body ? body : { ...body, turbulenceIntensity: body.turbulenceIntensity ?? 0, seed: body.seed ?? 1 }
      if ('deckId' in body) await checkDeckOutputSize(await ctx.decks.dir(body.deckId), body.durationS, ctx.maxOutputBytes)
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
        querystring: inline(OptionalSimulationIdQuery),
        response: { 200: inline(Type.Union([SimulationStatus, SimulationStatusList])), ...errorResponses(400, 401, 404) },
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
        querystring: inline(SimulationIdQuery),
        response: { 200: inline(SimulationStatus), ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => ctx.manager.delete(request.query.id),
  )
}
