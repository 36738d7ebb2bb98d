import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { FleetError } from './errors.js'
import { type MaintenanceRecord, type MaintenanceStore, parseMaintenanceRecord } from './maintenance-store.js'

interface Row {
  device_id: string
  meets_emission_standards: number
  mileage: number
  purchase_date: string
}

const toRecord = (r: Row): MaintenanceRecord => ({
  DeviceId: r.device_id,
  MeetsEmissionStandards: r.meets_emission_standards === 1,
  Mileage: r.mileage,
  PurchaseDate: r.purchase_date,
})

/** The embedded default's maintenance table: one SQLite file (`:memory:` for tests). */
export function createSqliteMaintenanceStore(file: string): MaintenanceStore {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.exec(`CREATE TABLE IF NOT EXISTS vehicle_maintenance (
    device_id TEXT PRIMARY KEY,
    meets_emission_standards INTEGER NOT NULL CHECK (meets_emission_standards IN (0, 1)),
    mileage REAL NOT NULL,
    purchase_date TEXT NOT NULL
  ) STRICT`)
  const getStmt = db.prepare<[string], Row>('SELECT * FROM vehicle_maintenance WHERE device_id = ?')
  const listStmt = db.prepare<[], Row>('SELECT * FROM vehicle_maintenance ORDER BY device_id')
  const putStmt = db.prepare(
    `INSERT INTO vehicle_maintenance (device_id, meets_emission_standards, mileage, purchase_date) VALUES (?, ?, ?, ?)
     ON CONFLICT (device_id) DO UPDATE SET meets_emission_standards = excluded.meets_emission_standards,
       mileage = excluded.mileage, purchase_date = excluded.purchase_date`,
  )
  let closed = false
  const open = () => {
    if (closed) throw new FleetError('CLOUD_FLEET_CLOSED', 'maintenance store is closed')
  }
  return {
    async get(deviceId) {
      open()
      const row = getStmt.get(deviceId)
      return row ? toRecord(row) : null
    },
    async put(input) {
      open()
      const r = parseMaintenanceRecord(input)
      putStmt.run(r.DeviceId, r.MeetsEmissionStandards ? 1 : 0, r.Mileage, r.PurchaseDate)
    },
    async list() {
      open()
      return listStmt.all().map(toRecord)
    },
    async close() {
      if (closed) return
      closed = true
      db.close()
    },
  }
}
