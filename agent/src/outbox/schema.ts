import { STREAMS, type StreamName } from '@edgetwin/shared-schemas'

/**
 * Row ids pack the stream and its sequence number: `id = streamIndex * 2^48 + seq`. One INTEGER PRIMARY KEY
 * b-tree then serves inserts, per-stream range reads and range deletes without a secondary index.
 */
export const SEQ_BITS_FACTOR = 2 ** 48
export const MAX_SEQ = SEQ_BITS_FACTOR - 1

export function streamIndex(stream: StreamName): number {
  return STREAMS.indexOf(stream)
}

export function rowId(stream: StreamName, seq: number): number {
  return streamIndex(stream) * SEQ_BITS_FACTOR + seq
}

export function seqOf(id: number): number {
  return id % SEQ_BITS_FACTOR
}

export const SCHEMA_VERSION = 1

export const DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS streams (stream TEXT PRIMARY KEY, next_seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY,
  created_ms INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS agent_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS quarantine (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  stream TEXT NOT NULL,
  first_seq INTEGER NOT NULL,
  last_seq INTEGER NOT NULL,
  record_count INTEGER NOT NULL,
  reason_code INTEGER,
  reason TEXT NOT NULL,
  quarantined_ms INTEGER NOT NULL,
  records TEXT NOT NULL
);
`
