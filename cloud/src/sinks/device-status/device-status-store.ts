import type { HealthReport } from '@edgetwin/shared-schemas'
import type { SinkWriteResult } from '../sink-result.js'

/** The latest health report of each device (the `health` stream's sink). Older reports never overwrite newer ones. */
export interface DeviceStatusStore {
  record(reports: readonly HealthReport[]): Promise<SinkWriteResult>
  get(deviceId: string): Promise<HealthReport | undefined>
  /** Every device's latest report, by deviceId (the console's device list); adapters that cannot scan cheaply omit it. */
  list?(): Promise<HealthReport[]>
  close(): Promise<void>
}
