import type {
  DecisionLog,
  DeviceStatusStore,
  EnrichedRow,
  JobsService,
  PositionEventBus,
  PositionRow,
  PositionTracker,
  ReadStats,
  TimeSeriesReader,
  Zone,
} from '@edgetwin/cloud'
import type { ControllerParameters } from '@edgetwin/shared-schemas'

/**
 * What the console reads, all of it through the cloud's own ports and the same functions the CLI reports use.
 * Read-only: the console never writes to any of them.
 */
export interface ConsoleSources {
  readonly zone: Zone
  /** The charging-day time zone of the reports (fleet.chargingTimeZone). */
  readonly chargingTimeZone: string
  /** The geofence detector's dwell (fleet.geofence.minDwellS), so a day's ENTER/EXIT match the live ones. */
  readonly minDwellS: number
  /** Stored positions and each device's last one. */
  readonly tracker: Pick<PositionTracker, 'history' | 'latest'>
  /** Live position events (published once the tracker stored a position). */
  readonly bus: Pick<PositionEventBus, 'subscribe'>
  /** The rows `fleet report days-in-zone` reads (the position archive). */
  archivePositions(stats: ReadStats): AsyncIterable<PositionRow>
  /** The rows `fleet report replacement` reads (the enriched objects). */
  enrichedPositions(stats: ReadStats): AsyncIterable<EnrichedRow>
  /** Absent when the configured store is write-only here (Timestream). */
  readonly timeSeries: TimeSeriesReader | undefined
  readonly deviceStatus: Pick<DeviceStatusStore, 'get' | 'list'>
  /** The twin's decision log and what it believes is in force; absent when the twin loop is off. */
  readonly twin?: {
    readonly decisions: DecisionLog
    parametersInForce(deviceId: string): Promise<{ readonly version: number; readonly parameters: ControllerParameters }>
  }
  readonly jobs?: Pick<JobsService, 'describeJob' | 'listJobs'>
}
