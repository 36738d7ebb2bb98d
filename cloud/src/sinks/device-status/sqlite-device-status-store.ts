import type { HealthReport } from '@edgetwin/shared-schemas'
import type { Database } from 'better-sqlite3'
import { NOTHING_REJECTED } from '../sink-result.js'
import type { DeviceStatusStore } from './device-status-store.js'

export function createSqliteDeviceStatusStore(db: Database): DeviceStatusStore {
  db.exec('CREATE TABLE IF NOT EXISTS device_status (device_id TEXT PRIMARY KEY, time TEXT NOT NULL, report TEXT NOT NULL)')
  // ISO-8601 UTC strings with a Z compare in time order, so the newest report wins whatever the arrival order.
  const upsert = db.prepare(`INSERT INTO device_status (device_id, time, report) VALUES (?, ?, ?)
    ON CONFLICT (device_id) DO UPDATE SET time = excluded.time, report = excluded.report WHERE excluded.time > device_status.time`)
  const select = db.prepare('SELECT report FROM device_status WHERE device_id = ?')
  const selectAll = db.prepare('SELECT report FROM device_status ORDER BY device_id')
  const writeAll = db.transaction((reports: readonly HealthReport[]) => {
    for (const r of reports) upsert.run(r.deviceId, r.time, JSON.stringify(r))
  })
  return {
    async record(reports) {
      writeAll(reports)
      return { written: reports.length, rejected: NOTHING_REJECTED }
    },
    async get(deviceId) {
      const row = select.get(deviceId) as { report: string } | undefined
      return row ? (JSON.parse(row.report) as HealthReport) : undefined
    },
    async list() {
      return (selectAll.all() as { report: string }[]).map((row) => JSON.parse(row.report) as HealthReport)
    },
    async close() {},
  }
}
