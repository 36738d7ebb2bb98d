import Type, { type Static } from 'typebox'
import { DeviceId, DeviceKind, IsoTimestamp, StreamName } from './ids.js'

export const ENVELOPE_SCHEMA_VERSION = 1

/** One record of a batch with the sequence number it was given when committed to the device's outbox. */
export const EnvelopeRecord = Type.Object({ seq: Type.Integer({ minimum: 1 }), data: Type.Unknown() }, { additionalProperties: false })
export type EnvelopeRecord = Static<typeof EnvelopeRecord>

/**
 * One MQTT message: many records of one stream of one device. Sequence numbers grow strictly within
 * `records`; `firstSeq`/`lastSeq` are those of the first and last record (gaps are allowed: evictions).
 */
export const BatchEnvelope = Type.Object(
  {
    deviceId: DeviceId,
    kind: DeviceKind,
    stream: StreamName,
    schemaVersion: Type.Literal(ENVELOPE_SCHEMA_VERSION),
    firstSeq: Type.Integer({ minimum: 1 }),
    lastSeq: Type.Integer({ minimum: 1 }),
    sentAt: Type.Optional(IsoTimestamp),
    records: Type.Array(EnvelopeRecord, { minItems: 1, maxItems: 10_000 }),
  },
  { $id: 'BatchEnvelope', additionalProperties: false },
)
export type BatchEnvelope = Static<typeof BatchEnvelope>
