import type { SinkWriteResult } from '../sink-result.js'

/** Measurement names: turbine samples (`metrics` stream) and gateway aggregates (`aggregate` stream). */
export type Measurement = 'turbine' | 'aggregate'

/** One time series row, store-neutral: numeric measures plus dimensions, and the alarms raised at that instant. */
export interface TimeSeriesPoint {
  readonly deviceId: string
  readonly measurement: Measurement
  /** Milliseconds since the epoch, UTC. */
  readonly timeMs: number
  /** The record's sequence number; stores use it as the record version so a retried write is idempotent. */
  readonly seq: number
  readonly dimensions: Readonly<Record<string, string>>
  readonly measures: Readonly<Record<string, number>>
  /**
   * `measures` as JSON object text, when the caller has it already (the router copies it from the envelope): stores
   * that keep JSON write it instead of serialising `measures` again. Same members and values as `measures`.
   */
  readonly measuresJson?: string | undefined
  readonly alarms: readonly string[]
}

/** Writes points; every adapter (SQLite, InfluxDB, Timestream) implements it. */
export interface TimeSeriesWriter {
  /** True when the store writes `measuresJson` as given (so a caller that can copy it should). */
  readonly storesMeasuresJson?: boolean
  write(points: readonly TimeSeriesPoint[]): Promise<SinkWriteResult>
  close(): Promise<void>
}

export interface RangeQuery {
  readonly deviceId: string
  readonly measurement: Measurement
  /** Inclusive. */
  readonly fromMs: number
  /** Exclusive. */
  readonly toMs: number
  /** Keep only points whose dimensions match (e.g. `{ metric: 'flowM3h' }`). */
  readonly dimensions?: Readonly<Record<string, string>>
}

export interface WindowQuery extends RangeQuery {
  /** The measure to aggregate, e.g. `windSpeedMps`. */
  readonly field: string
  /** Windows start at multiples of this since the epoch (InfluxQL `GROUP BY time(10m)`, Timestream `bin(time, 10m)`). @default 600_000 */
  readonly windowMs?: number
}

/** Statistics of one field over one window; `std` is the sample standard deviation (null below two samples). */
export interface WindowAggregate {
  readonly windowStartMs: number
  readonly count: number
  readonly mean: number
  readonly min: number
  readonly max: number
  readonly std: number | null
}

export interface AlarmCount {
  readonly windowStartMs: number
  readonly alarm: string
  /** Samples in the window that carried the alarm. */
  readonly count: number
}

export const TEN_MINUTES_MS = 600_000

/**
 * What the anomaly detector reads: raw ranges, per-window statistics of a field (the reference architecture's
 * 10-minute averages) and per-window alarm counts (controller over-speed alarms). Windows without data are absent.
 */
export interface TimeSeriesReader {
  range(query: RangeQuery): Promise<TimeSeriesPoint[]>
  windows(query: WindowQuery): Promise<WindowAggregate[]>
  alarmCounts(query: Omit<RangeQuery, 'dimensions'> & { readonly windowMs?: number }): Promise<AlarmCount[]>
  /** Devices with at least one point of `measurement` in [fromMs, toMs) (any time when omitted), sorted. */
  devices(measurement: Measurement, fromMs?: number, toMs?: number): Promise<string[]>
}

export interface TimeSeriesStore extends TimeSeriesWriter, TimeSeriesReader {}

/** Field names become SQL/InfluxQL identifiers; allow only plain ones. */
export const FIELD_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/
