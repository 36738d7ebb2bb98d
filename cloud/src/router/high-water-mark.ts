import type { SinkName, StreamName } from '@edgetwin/shared-schemas'
import type { SinkMarks } from './decide.js'

/**
 * Persisted high-water marks, one per (device, stream, sink): the highest sequence number the sink durably has.
 * Locally SQLite; on AWS a DynamoDB table with conditional writes.
 */
export interface HighWaterMarkStore {
  get(deviceId: string, stream: StreamName): Promise<SinkMarks>
  /** Raises the mark to `seq`; returns false (and changes nothing) when it was already at or above `seq`. */
  advance(deviceId: string, stream: StreamName, sink: SinkName, seq: number): Promise<boolean>
  /**
   * Stores whose database can also hold a sink's data (SQLite): runs `write` and raises the mark in one
   * transaction, so a crash leaves both or neither, never records without their mark (a duplicate on redelivery).
   * `write` must be synchronous and write to this store's database.
   */
  advanceWith?<T>(deviceId: string, stream: StreamName, sink: SinkName, seq: number, write: () => T): T
  /**
   * With `advanceWith`: runs `fn` (synchronous) in one transaction, in which each `advanceWith` is a savepoint that
   * can fail alone; every mark it raised is seen by `get` only once this transaction has committed.
   */
  transaction?<T>(fn: () => T): T
  close(): Promise<void>
}
