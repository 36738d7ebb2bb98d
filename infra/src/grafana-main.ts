import { writeFileSync } from 'node:fs'
import { DASHBOARD_FILE, renderDashboard } from './write-grafana-dashboard.js'

// `npm run -w infra grafana`: regenerates the committed dashboard; a test keeps the two equal.
writeFileSync(DASHBOARD_FILE, renderDashboard())
