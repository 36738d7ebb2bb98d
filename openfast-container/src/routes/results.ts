import { createReadStream } from 'node:fs'
import { readdir, readFile, stat } from 'node:fs/promises'
import {
  SimulationId,
  SimulationResults,
  SimulationSummary,
  Type,
  UploadResultsRequest,
  UploadResultsResponse,
} from '@edgetwin/shared-schemas'
import { RESULT_FILE_NAMES, RESULT_FILES, type ResultFileName } from '../engines/engine.js'
import { DispatchError } from '../errors.js'
import { resolveInside } from '../paths.js'
import { bearerSecurity, type DispatchApp, errorResponses, inline, type RouteContext } from './context.js'

const IdParams = Type.Object({ id: SimulationId }, { additionalProperties: false })
const FileParams = Type.Object(
  { id: SimulationId, file: Type.Union(RESULT_FILE_NAMES.map((n) => Type.Literal(n))) },
  { additionalProperties: false },
)

const CONTENT_TYPES: Record<ResultFileName, string> = {
  'simulation.out': 'text/plain; charset=utf-8',
  'summary.json': 'application/json',
  'engine.log': 'text/plain; charset=utf-8',
}

/** Only server-generated names exist in `results/`; anything else found there is not listed. */
async function listResults(dir: string): Promise<{ name: ResultFileName; bytes: number }[]> {
  const names = await readdir(dir).catch(() => [] as string[])
  const out: { name: ResultFileName; bytes: number }[] = []
  for (const name of RESULT_FILE_NAMES) {
    if (names.includes(name)) out.push({ name, bytes: (await stat(resolveInside(dir, name))).size })
  }
  return out
}

function requireFinished(ctx: RouteContext, id: string): void {
  const { state } = ctx.manager.get(id)
  if (state === 'QUEUED' || state === 'RUNNING') {
    throw new DispatchError('DISPATCH_NOT_FINISHED', `simulation '${id}' is ${state}; results exist once it has finished`)
  }
}

/** Results of finished runs: listing, downloads, the summary, and the copy to the object store. */
export function registerResultRoutes(app: DispatchApp, ctx: RouteContext): void {
  app.get(
    '/simulations/:id/results',
    {
      schema: {
        summary: 'list the result files of a finished simulation (the .out file, summary.json, the engine log) and its summary',
        tags: ['results'],
        security: bearerSecurity,
        params: IdParams,
        response: { 200: inline(SimulationResults), ...errorResponses(400, 401, 404, 409) },
      },
    },
    async (request) => {
      const { id } = request.params
      requireFinished(ctx, id)
      const dir = ctx.manager.resultsDir(id)
      const files = (await listResults(dir)).map((f) => ({ ...f, url: `/simulations/${id}/results/${f.name}` }))
      const hasSummary = files.some((f) => f.name === RESULT_FILES.summary)
      const summary = hasSummary ? JSON.parse(await readFile(resolveInside(dir, RESULT_FILES.summary), 'utf8')) : undefined
      return { id, state: ctx.manager.get(id).state, files, ...(summary ? { summary } : {}) }
    },
  )

  app.get(
    '/simulations/:id/summary',
    {
      schema: {
        summary: 'the summary of a succeeded simulation: mean, max, min and std of the main channels, over-speed exceedances',
        tags: ['results'],
        security: bearerSecurity,
        params: IdParams,
        response: { 200: inline(SimulationSummary), ...errorResponses(400, 401, 404, 409) },
      },
    },
    async (request) => {
      const { id } = request.params
      requireFinished(ctx, id)
      const file = resolveInside(ctx.manager.resultsDir(id), RESULT_FILES.summary)
      const text = await readFile(file, 'utf8').catch(() => {
        throw new DispatchError('DISPATCH_NOT_FOUND', `simulation '${id}' has no summary (state ${ctx.manager.get(id).state})`)
      })
      return JSON.parse(text)
    },
  )

  app.get(
    '/simulations/:id/results/:file',
    {
      schema: {
        summary: 'download one result file',
        tags: ['results'],
        security: bearerSecurity,
        params: FileParams,
        produces: ['text/plain', 'application/json'],
        description: 'answers 200 with the file itself (text/plain or application/json)',
        response: errorResponses(400, 401, 404, 409),
      },
    },
    async (request, reply) => {
      const { id, file } = request.params
      requireFinished(ctx, id)
      const path = resolveInside(ctx.manager.resultsDir(id), file)
      const found = await stat(path).catch(() => undefined)
      if (!found?.isFile()) throw new DispatchError('DISPATCH_NOT_FOUND', `simulation '${id}' has no ${file}`)
      reply.header('content-type', CONTENT_TYPES[file]).header('content-length', found.size)
      reply.header('content-disposition', `attachment; filename="${id}-${file}"`)
      return reply.send(createReadStream(path))
    },
  )

  app.post(
    '/upload_to_s3',
    {
      schema: {
        summary: "copy a finished simulation's results to the object store (S3, or a local folder) and answer with the keys",
        tags: ['results'],
        security: bearerSecurity,
        body: inline(UploadResultsRequest),
        response: { 200: inline(UploadResultsResponse), ...errorResponses(400, 401, 404, 409, 413) },
      },
    },
    async (request) => {
      const { id, prefix } = request.body
      requireFinished(ctx, id)
      const dir = ctx.manager.resultsDir(id)
      const keys: string[] = []
      for (const f of await listResults(dir)) {
        const key = `${prefix ?? ctx.objectPrefix}/${id}/${f.name}`
        await ctx.objectStore.putFile(key, resolveInside(dir, f.name))
        keys.push(key)
      }
      return { id, location: ctx.objectStore.location, keys }
    },
  )
}
