import type { SinkWriteResult } from '../sink-result.js'

/** One position update, as Amazon Location's `DevicePositionUpdate`. */
export interface DevicePositionUpdate {
  readonly deviceId: string
  /** ISO-8601 UTC, when the device determined the position. */
  readonly sampleTime: string
  /** `[lon, lat]` WGS84 degrees, Amazon Location's order. */
  readonly position: readonly [number, number]
  readonly accuracyM?: number
  /** At most 3 string properties (Amazon Location quota). */
  readonly properties?: Readonly<Record<string, string>>
}

/** A position the tracker stored (what GetDevicePositionHistory returns). */
export interface StoredDevicePosition {
  readonly deviceId: string
  readonly sampleTime: string
  readonly receivedTime: string
  readonly position: readonly [number, number]
  readonly accuracyM?: number
}

export interface PositionHistoryQuery {
  readonly deviceId: string
  /** Inclusive, ISO-8601. */
  readonly from?: string
  /** Exclusive, ISO-8601. */
  readonly to?: string
}

/**
 * The port for an Amazon Location tracker with distance-based filtering: updates within `distanceFilterM` of the
 * device's last stored position are ignored by the tracker (not an error).
 */
export interface PositionTracker {
  readonly trackerName: string
  update(updates: readonly DevicePositionUpdate[]): Promise<SinkWriteResult>
  /** Stored positions of one device, oldest first. */
  history(query: PositionHistoryQuery): Promise<StoredDevicePosition[]>
  /** The last stored position of every device, by deviceId (as Amazon Location's ListDevicePositions); optional. */
  latest?(): Promise<StoredDevicePosition[]>
  close(): Promise<void>
}
