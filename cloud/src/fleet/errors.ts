/** Stable codes of the fleet and zone-analytics errors; callers branch on `code`. */
export type FleetErrorCode =
  | 'CLOUD_ZONE_INVALID'
  | 'CLOUD_MAINTENANCE_INVALID'
  | 'CLOUD_MAINTENANCE_UNAVAILABLE'
  | 'CLOUD_OBJECT_STORE_FAILED'
  | 'CLOUD_OBJECT_KEY_INVALID'
  | 'CLOUD_REPORT_INVALID'
  | 'CLOUD_FLEET_CLOSED'

export class FleetError extends Error {
  readonly code: FleetErrorCode
  constructor(code: FleetErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'FleetError'
    this.code = code
  }
}
