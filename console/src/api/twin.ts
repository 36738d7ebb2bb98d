import { ConsoleDecisions, ConsoleDecisionsQuery, ConsoleJob, Type } from '@edgetwin/shared-schemas'
import { ConsoleError } from '../errors.js'
import type { ConsoleFastify, RouteContext } from './context.js'

const TAGS = ['twin']

/** The twin's decision log with its provenance, and the jobs its decisions created (per-device state). */
export function registerTwinRoutes(app: ConsoleFastify, ctx: RouteContext): void {
  app.get(
    '/api/twin/decisions',
    {
      schema: {
        summary: 'decisions newest first, each with its conditions, simulations per controller and seed, the choice and its job',
        tags: TAGS,
        querystring: ConsoleDecisionsQuery,
        response: { 200: ConsoleDecisions },
      },
    },
    async (request) => {
      const twin = ctx.sources.twin
      if (!twin) return { enabled: false, decisions: [] }
      const { deviceId, limit } = request.query
      const decisions = await twin.decisions.list({ ...(deviceId ? { deviceId } : {}), limit: limit ?? 100 })
      return { enabled: true, decisions: decisions as never }
    },
  )

  app.get(
    '/api/twin/jobs/:jobId',
    {
      schema: {
        summary: "a job: document, targets, counts per status and each device's execution",
        tags: TAGS,
        params: Type.Object({ jobId: Type.String({ pattern: '^[a-zA-Z0-9_-]{1,64}$' }) }),
        response: { 200: ConsoleJob },
      },
    },
    async (request) => {
      const jobs = ctx.sources.jobs
      if (!jobs) throw new ConsoleError('CONSOLE_SOURCE_UNAVAILABLE', 'no jobs service in this cloud')
      const job = await jobs.describeJob(request.params.jobId)
      if (!job) throw new ConsoleError('CONSOLE_NOT_FOUND', `no job with jobId '${request.params.jobId}'`)
      return {
        jobId: job.jobId,
        status: job.status,
        createdAt: job.createdAt,
        reasonCode: job.reasonCode ?? null,
        targets: [...job.targets],
        document: job.document ?? null,
        processDetails: { ...job.processDetails },
        executions: (job.executions ?? []).map((e) => ({
          thingName: e.thingName,
          status: e.status,
          versionNumber: e.versionNumber,
          statusDetails: (e.statusDetails as Record<string, unknown> | undefined) ?? null,
        })),
      }
    },
  )
}
