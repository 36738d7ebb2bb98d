/**
 * The turbine dashboard for Amazon Managed Grafana (or any Grafana with the Amazon Timestream data source plugin,
 * `grafana-timestream-datasource`): the reference architecture shows the recorded series next to the simulations.
 * Series are multi-measure records named after the `TurbineSample` fields, with the turbine in the `deviceId`
 * dimension; `$__timeFilter` and `$__interval_ms` are the plugin's macros.
 */
/** Boolean measure, true in a sample whose `alarms` include `overspeed`. */
export const OVERSPEED_MEASURE = 'alarmOverspeed'

export interface TurbineDashboardOptions {
  readonly database: string
  readonly table: string
  /** @default 'Amazon Timestream' */
  readonly datasourceName?: string
}

const PANELS = [
  { title: 'Rotor speed', field: 'rotorSpeedRpm', unit: 'rotrpm' },
  { title: 'Generator power', field: 'generatorPowerKw', unit: 'kwatt' },
  { title: 'Generator speed', field: 'generatorSpeedRpm', unit: 'rotrpm' },
  { title: 'Generator torque', field: 'generatorTorqueKnm', unit: 'none' },
  { title: 'Wind speed (10-minute mean)', field: 'windSpeedMps', unit: 'velocityms', bin: '10m' },
  { title: 'Blade pitch', field: 'bladePitchDeg', unit: 'degree' },
] as const

export function turbineDashboard(options: TurbineDashboardOptions) {
  const source = `"${options.database}"."${options.table}"`
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a Grafana dashboard variable, resolved by Grafana
  const datasource = { type: 'grafana-timestream-datasource', uid: '${datasource}' }
  const timeSeriesPanel = (p: (typeof PANELS)[number], index: number) => ({
    id: index + 1,
    type: 'timeseries',
    title: p.title,
    datasource,
    gridPos: { h: 8, w: 12, x: (index % 2) * 12, y: Math.floor(index / 2) * 8 },
    fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
    targets: [
      {
        refId: 'A',
        datasource,
        format: 1,
        rawQuery:
          `SELECT deviceId, BIN(time, ${'bin' in p ? p.bin : '$__interval_ms ms'}) AS t, AVG(${p.field}) AS ${p.field} ` +
          `FROM ${source} WHERE $__timeFilter AND deviceId IN ($turbine) GROUP BY deviceId, BIN(time, ${'bin' in p ? p.bin : '$__interval_ms ms'}) ORDER BY t`,
      },
    ],
  })
  const alarmsPanel = {
    id: PANELS.length + 1,
    type: 'timeseries',
    title: 'Over-speed alarms per 10 minutes',
    datasource,
    gridPos: { h: 8, w: 24, x: 0, y: Math.ceil(PANELS.length / 2) * 8 },
    fieldConfig: { defaults: { unit: 'short', custom: { drawStyle: 'bars' } }, overrides: [] },
    targets: [
      {
        refId: 'A',
        datasource,
        format: 1,
        rawQuery:
          `SELECT deviceId, BIN(time, 10m) AS t, SUM(CASE WHEN ${OVERSPEED_MEASURE} THEN 1 ELSE 0 END) AS overspeedAlarms ` +
          `FROM ${source} WHERE $__timeFilter AND deviceId IN ($turbine) GROUP BY deviceId, BIN(time, 10m) ORDER BY t`,
      },
    ],
  }
  return {
    title: 'edgetwin turbines',
    uid: 'edgetwin-turbines',
    tags: ['edgetwin', 'turbine', 'digital-twin'],
    timezone: 'utc',
    schemaVersion: 39,
    time: { from: 'now-24h', to: 'now' },
    refresh: '1m',
    templating: {
      list: [
        {
          name: 'datasource',
          type: 'datasource',
          query: 'grafana-timestream-datasource',
          current: { text: options.datasourceName ?? 'Amazon Timestream' },
        },
        {
          name: 'turbine',
          type: 'query',
          datasource,
          multi: true,
          includeAll: true,
          query: { rawQuery: `SELECT DISTINCT deviceId FROM ${source} WHERE $__timeFilter` },
        },
      ],
    },
    panels: [...PANELS.map(timeSeriesPanel), alarmsPanel],
  }
}
