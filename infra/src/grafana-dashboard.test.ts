import { readFileSync } from 'node:fs'
import { TurbineSample } from '@edgetwin/shared-schemas'
import { describe, expect, it } from 'vitest'
import { turbineDashboard } from './grafana-dashboard.js'
import { DASHBOARD_FILE, renderDashboard } from './write-grafana-dashboard.js'

describe('turbine Grafana dashboard', () => {
  it('is committed as generated (run `npm run -w infra grafana` after a change)', () => {
    expect(JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8'))).toEqual(JSON.parse(renderDashboard()))
  })

  it('queries the given Timestream table on TurbineSample fields only, through the Timestream data source', () => {
    const dashboard = turbineDashboard({ database: 'db1', table: 'tbl1' })
    const sampleFields = Object.keys(TurbineSample.properties)
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(6)
    for (const panel of dashboard.panels) {
      expect(panel.datasource.type).toBe('grafana-timestream-datasource')
      const sql = panel.targets[0]?.rawQuery ?? ''
      expect(sql).toContain('FROM "db1"."tbl1" WHERE $__timeFilter AND measure_name = \'turbine\' AND device_id IN ($turbine)')
      const averaged = /AVG\((\w+)\)/.exec(sql)?.[1]
      if (averaged) expect(sampleFields).toContain(averaged)
    }
  })
})
