import { TEN_MINUTES_MS, type TimeSeriesReader } from '@edgetwin/cloud'
import {
  CONSOLE_TURBINE_FIELDS,
  ConsoleSeriesQuery,
  type ConsoleTurbineSeries,
  ConsoleTurbines,
  DeviceId,
  ConsoleTurbineSeries as TurbineSeriesSchema,
  Type,
} from '@edgetwin/shared-schemas'
import { ConsoleError } from '../errors.js'
import { newestTurbineSample } from '../newest-sample.js'
import type { ConsoleFastify, RouteContext } from './context.js'

const TAGS = ['turbines']
const HOUR_MS = 3_600_000

function readerOf(ctx: RouteContext): TimeSeriesReader {
  const reader = ctx.sources.timeSeries
  if (!reader)
    throw new ConsoleError('CONSOLE_SOURCE_UNAVAILABLE', 'the configured time series store cannot be read back here (Timestream)')
  return reader
}

export function registerTurbineRoutes(app: ConsoleFastify, ctx: RouteContext): void {
  app.get(
    '/api/turbines',
    {
      schema: {
        summary: 'every turbine with telemetry: newest sample, controller version, over-speed alarms in its last hour',
        tags: TAGS,
        response: { 200: ConsoleTurbines },
      },
    },
    async () => {
      const reader = readerOf(ctx)
      const nowMs = ctx.now().getTime()
      const ids = await reader.devices('turbine')
      const turbines = await Promise.all(
        ids.map(async (deviceId) => {
          const last = await newestTurbineSample(reader, deviceId, nowMs)
          const endMs = last ? last.timeMs + 1 : nowMs
          const alarms = await reader.alarmCounts({
            deviceId,
            measurement: 'turbine',
            fromMs: endMs - HOUR_MS,
            toMs: endMs,
            windowMs: HOUR_MS * 2,
          })
          return {
            deviceId,
            lastSampleMs: last?.timeMs ?? null,
            controllerVersion: last?.measures['controllerVersion'] ?? null,
            overspeedAlarmsLastHour: alarms.filter((a) => a.alarm === 'overspeed').reduce((n, a) => n + a.count, 0),
          }
        }),
      )
      return { turbines }
    },
  )

  app.get(
    '/api/turbines/:deviceId/series',
    {
      schema: {
        summary:
          'the last hour (or `minutes`) of rotor speed, power, pitch and wind, alarms, 10-minute statistics, the controller in force',
        tags: TAGS,
        params: Type.Object({ deviceId: DeviceId }),
        querystring: ConsoleSeriesQuery,
        response: { 200: TurbineSeriesSchema },
      },
    },
    async (request): Promise<ConsoleTurbineSeries> => {
      const reader = readerOf(ctx)
      const { deviceId } = request.params
      const minutes = request.query.minutes ?? 60
      const last = await newestTurbineSample(reader, deviceId, ctx.now().getTime())
      if (!last) throw new ConsoleError('CONSOLE_NOT_FOUND', `no turbine samples for deviceId '${deviceId}'`)
      const toMs = last.timeMs + 1
      const fromMs = toMs - minutes * 60_000
      const points = await reader.range({ deviceId, measurement: 'turbine', fromMs, toMs })
      const column = (field: string) => points.map((p) => p.measures[field] ?? null)
      const stats = (
        await Promise.all(
          CONSOLE_TURBINE_FIELDS.map(async (field) =>
            (
              await reader.windows({ deviceId, measurement: 'turbine', field, fromMs, toMs, windowMs: TEN_MINUTES_MS })
            ).map((w) => ({ field, ...w })),
          ),
        )
      ).flat()
      const inForce = ctx.sources.twin ? await ctx.sources.twin.parametersInForce(deviceId) : undefined
      return {
        deviceId,
        fromMs,
        toMs,
        timeMs: points.map((p) => p.timeMs),
        rotorSpeedRpm: column('rotorSpeedRpm'),
        generatorPowerKw: column('generatorPowerKw'),
        bladePitchDeg: column('bladePitchDeg'),
        windSpeedMps: column('windSpeedMps'),
        alarms: points.flatMap((p) => p.alarms.map((alarm) => ({ timeMs: p.timeMs, alarm }))),
        stats,
        controller: inForce ? { version: inForce.version, parameters: { ...inForce.parameters } } : null,
      }
    },
  )
}
