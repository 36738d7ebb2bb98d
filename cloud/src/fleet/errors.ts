import { CloudError } from '../errors.js'

/** Stable codes of the fleet and zone-analytics errors; callers branch on `code`. */
export type FleetErrorCode =
  | 'CLOUD_ZONE_INVALID'
  | 'CLOUD_MAINTENANCE_INVALID'
  | 'CLOUD_MAINTENANCE_UNAVAILABLE'
  | 'CLOUD_OBJECT_STORE_FAILED'
  | 'CLOUD_OBJECT_KEY_INVALID'
  | 'CLOUD_REPORT_INVALID'
  | 'CLOUD_FLEET_CLOSED'
  | 'CLOUD_FLEET_ARCHIVE_REJECTED'

/** A CloudError raised by the fleet area (enrichment, stores, zones, reports). */
export class FleetError extends CloudError {
  declare readonly code: FleetErrorCode
  constructor(code: FleetErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options)
    this.name = 'FleetError'
  }
}
