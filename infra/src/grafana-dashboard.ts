/**
 * The turbine dashboard for Amazon Managed Grafana (or any Grafana with the Amazon Timestream data source plugin,
 * `grafana-timestream-datasource`): the reference architecture shows the recorded series next to the simulations.
 * The layout is the router's Timestream writer's: one multi-measure record per sample, `measure_name = 'turbine'`,
 * DOUBLE measures named after the `TurbineSample` fields, the alarms as one comma-joined VARCHAR `alarms`, the turbine
 * in the `device_id` dimension. `$__timeFilter` and `$__interval_ms` are the plugin's macros.
 */
/** The measure name of turbine samples, and the device dimension (cloud `toTimeSeriesPoints`, `createTimestreamWriter`). */
export const TURBINE_MEASURE_NAME = 'turbine'
export const DEVICE_DIMENSION = 'device_id'

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
  const turbineRows = `$__timeFilter AND measure_name = '${TURBINE_MEASURE_NAME}' AND ${DEVICE_DIMENSION} IN ($turbine)`
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
          `SELECT ${DEVICE_DIMENSION}, BIN(time, ${'bin' in p ? p.bin : '$__interval_ms ms'}) AS t, AVG(${p.field}) AS ${p.field} ` +
          `FROM ${source} WHERE ${turbineRows} GROUP BY ${DEVICE_DIMENSION}, BIN(time, ${'bin' in p ? p.bin : '$__interval_ms ms'}) ORDER BY t`,
      },
    ],
  })
  const alarmsPanel = {
    id: PANELS.length + 1,
    type: 'timeseries',
    title: 'Samples with an over-speed alarm per 10 minutes',
    datasource,
    gridPos: { h: 8, w: 24, x: 0, y: Math.ceil(PANELS.length / 2) * 8 },
    fieldConfig: { defaults: { unit: 'short', custom: { drawStyle: 'bars' } }, overrides: [] },
    targets: [
      {
        refId: 'A',
        datasource,
        format: 1,
        rawQuery:
          `SELECT ${DEVICE_DIMENSION}, BIN(time, 10m) AS t, SUM(CASE WHEN alarms LIKE '%overspeed%' THEN 1 ELSE 0 END) AS overspeedSamples ` +
          `FROM ${source} WHERE ${turbineRows} GROUP BY ${DEVICE_DIMENSION}, BIN(time, 10m) ORDER BY t`,
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
          query: {
            rawQuery: `SELECT DISTINCT ${DEVICE_DIMENSION} FROM ${source} WHERE $__timeFilter AND measure_name = '${TURBINE_MEASURE_NAME}'`,
          },
        },
      ],
    },
    panels: [...PANELS.map(timeSeriesPanel), alarmsPanel],
  }
}
