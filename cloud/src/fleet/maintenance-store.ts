import { createValidator, MaintenanceRecord, type SchemaError } from '@edgetwin/shared-schemas'
import { FleetError } from './errors.js'

export type { MaintenanceRecord }

/**
 * The vehicle-maintenance table (the reference architecture's DynamoDB table keyed by DeviceId).
 * Local adapter: SQLite; AWS adapter: DynamoDB `GetItem`/`PutItem`/`Scan` with a short read cache.
 */
export interface MaintenanceStore {
  /** The record of one vehicle, or null when it has none. */
  get(deviceId: string): Promise<MaintenanceRecord | null>
  /** Creates or replaces a vehicle's record. */
  put(record: MaintenanceRecord): Promise<void>
  /** Every record, ordered by DeviceId. */
  list(): Promise<MaintenanceRecord[]>
  close(): Promise<void>
}

const validator = createValidator(MaintenanceRecord)

/** Validates a record at the boundary; throws FleetError CLOUD_MAINTENANCE_INVALID naming the fields. */
export function parseMaintenanceRecord(value: unknown): MaintenanceRecord {
  try {
    return validator.parse(value)
  } catch (err) {
    throw new FleetError('CLOUD_MAINTENANCE_INVALID', (err as SchemaError).message, { cause: err })
  }
}
