import Type, { type Static } from 'typebox'
import type { StreamName } from './ids.js'

/** The sinks a router hands records to. */
export type SinkName = 'tracker' | 'timeSeries' | 'archive' | 'deviceStatus'

/**
 * Routing rules, defined once: which sinks receive the records of each stream. Every batch is archived.
 */
export const ROUTES: Readonly<Record<StreamName, readonly SinkName[]>> = Object.freeze({
  position: ['tracker', 'archive'],
  metrics: ['timeSeries', 'archive'],
  aggregate: ['timeSeries', 'archive'],
  events: ['archive'],
  health: ['deviceStatus', 'archive'],
})

/**
 * The AWS IoT topic rule that feeds the router Lambda through Kinesis Data Streams. Payloads may be gzip
 * (binary), so the rule base64-encodes them (AWS IoT SQL reference, `encode(*, 'base64')`) and adds the topic,
 * which the router needs to check the envelope against the publisher's topic.
 * The Kinesis partition key is `${topic()}`, so one (device, stream) stays on one shard, in order.
 */
export const IOT_RULE_SQL = "SELECT topic() AS topic, encode(*, 'base64') AS payload FROM 'dt/edgetwin/+/+/+'"
// biome-ignore lint/suspicious/noTemplateCurlyInString: an AWS IoT substitution template, not a JS template.
export const IOT_RULE_KINESIS_PARTITION_KEY = '${topic()}'

/** What the topic rule writes into each Kinesis record (the `data` of a Kinesis event record, base64 again). */
export const KinesisIngestRecord = Type.Object(
  { topic: Type.String({ minLength: 1, maxLength: 256 }), payload: Type.String({ contentEncoding: 'base64' }) },
  { $id: 'KinesisIngestRecord', additionalProperties: false },
)
export type KinesisIngestRecord = Static<typeof KinesisIngestRecord>

/** Why a message went to the dead letters. */
export const DEAD_LETTER_REASONS = [
  'TOPIC_INVALID',
  'STREAM_UNKNOWN',
  'ENVELOPE_TOO_LARGE',
  'ENVELOPE_INFLATE_LIMIT',
  'ENVELOPE_MALFORMED',
  'SCHEMA_INVALID',
  'TOPIC_MISMATCH',
] as const
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number]
