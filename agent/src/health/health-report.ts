import { type BatchEnvelope, type DeviceKind, ENVELOPE_SCHEMA_VERSION, encodeEnvelope, type HealthReport } from '@edgetwin/shared-schemas'
import type { ConnectionState } from '../mqtt/session.js'
import type { HealthCounters } from './counters.js'

export interface HealthInputs {
  readonly deviceId: string
  readonly connection: ConnectionState
  readonly queueDepth: number
  readonly queueBytes: number
  readonly oldestCreatedMs: number | null
  readonly inflight: number
  readonly counters: HealthCounters
  readonly lastError: HealthReport['lastError']
  readonly nowMs: number
}

/** Builds the shared-schemas HealthReport from the agent's state. */
export function buildHealthReport(i: HealthInputs): HealthReport {
  return {
    time: new Date(i.nowMs).toISOString(),
    deviceId: i.deviceId,
    status: i.connection === 'connected' ? 'online' : 'offline',
    connection: i.connection,
    queueDepth: i.queueDepth,
    queueBytes: i.queueBytes,
    oldestAgeMs: i.oldestCreatedMs === null ? null : Math.max(0, i.nowMs - i.oldestCreatedMs),
    inflight: i.inflight,
    counters: { ...i.counters },
    lastError: i.lastError,
  }
}

/**
 * The Last Will: a one-record health envelope saying `offline`, published by the broker if the connection
 * drops without a DISCONNECT ([MQTT-3.1.2-8]). Its seq is reserved from the health stream at connect time, so
 * it never collides with a stored record; a consumer keeping a strict high-water mark should let `offline`
 * wills through even when health reports with higher seqs were seen on that connection.
 */
export function buildWillPayload(deviceId: string, kind: DeviceKind, seq: number, report: HealthReport): Buffer {
  const envelope: BatchEnvelope = {
    deviceId,
    kind,
    stream: 'health',
    schemaVersion: ENVELOPE_SCHEMA_VERSION,
    firstSeq: seq,
    lastSeq: seq,
    records: [{ seq, data: { ...report, status: 'offline', connection: 'disconnected' } }],
  }
  return encodeEnvelope(envelope, 'none')
}
