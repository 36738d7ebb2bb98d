import { join } from 'node:path'
import { turbineDashboard } from './grafana-dashboard.js'
import { REPO_ROOT } from './paths.js'

/** The committed dashboard file, for the stack's default Timestream database and table. */
export const DASHBOARD_FILE = join(REPO_ROOT, 'infra', 'grafana', 'turbine-dashboard.json')
export const DASHBOARD_DEFAULTS = { database: 'edgetwin', table: 'turbine_metrics' } as const

export function renderDashboard(): string {
  return `${JSON.stringify(turbineDashboard(DASHBOARD_DEFAULTS), null, 2)}\n`
}
