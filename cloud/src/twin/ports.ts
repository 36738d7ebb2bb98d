import type { ControllerParameters, ControllerUpdateJobDocument, SimulationRequest, TurbineSample } from '@edgetwin/shared-schemas'

/** Reads turbine telemetry back from the time series store (SQLite, InfluxDB or Timestream). */
export interface TurbineSeries {
  /** Turbines that reported in [from, to). */
  turbines(from: Date, to: Date): Promise<string[]>
  /** One turbine's samples in [from, to), in time order. */
  samples(deviceId: string, from: Date, to: Date): Promise<TurbineSample[]>
}

/** Runs one simulation to completion and hands back its OpenFAST `.out` text. */
export interface SimulationRunner {
  run(
    request: SimulationRequest,
    signal?: AbortSignal,
  ): Promise<{
    simulationId: string
    engineVersion: string
    outText: string /** Where the results were archived. */
    resultLocations?: string[]
  }>
}

export interface ControllerUpdateJob {
  readonly jobId: string
  readonly targets: readonly string[]
  readonly document: ControllerUpdateJobDocument
  readonly description: string
  readonly abortFailurePercent: number
  readonly abortMinExecutions: number
  readonly inProgressTimeoutMinutes: number
}

export type TwinJobExecutionStatus =
  | 'QUEUED'
  | 'IN_PROGRESS'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'REJECTED'
  | 'TIMED_OUT'
  | 'CANCELED'
  | 'REMOVED'
  | 'UNKNOWN'

/** Creates IoT jobs and reads back how one thing's execution went (local jobs service or AWS IoT). */
export interface TwinJobs {
  createJob(job: ControllerUpdateJob): Promise<void>
  executionStatus(jobId: string, thingName: string): Promise<TwinJobExecutionStatus>
  /**
   * The status with the device's `statusDetails` when the service keeps them (the agent's reason for a rollback).
   * Optional: without it the twin records the status alone.
   */
  execution?(jobId: string, thingName: string): Promise<{ status: TwinJobExecutionStatus; statusDetails?: Record<string, string> }>
}

/** The controller parameters the twin believes are in force on a turbine, and the last document version sent to it. */
export interface ParametersInForce {
  readonly version: number
  readonly parameters: ControllerParameters
}
