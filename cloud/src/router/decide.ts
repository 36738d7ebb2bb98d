import {
  type BatchEnvelope,
  type DeadLetterReason,
  type DecodeLimits,
  decodeEnvelopeWithJson,
  type EnvelopeRecord,
  parseTelemetryTopic,
  ROUTES,
  SchemaError,
  type SinkName,
  STREAMS,
  TELEMETRY_ROOT,
  type TelemetryTopic,
} from '@edgetwin/shared-schemas'

/** A message the router could not accept, kept with the reason so that nothing is lost silently. */
export interface DeadLetter {
  readonly receivedAt: string
  readonly topic: string
  readonly reason: DeadLetterReason
  readonly message: string
  readonly payloadBytes: number
  /** The payload, or its first bytes when it was over the size limit. */
  readonly payload: Buffer
}

export type Decoded =
  | {
      readonly ok: true
      readonly topic: TelemetryTopic
      readonly envelope: BatchEnvelope
      /** The JSON the envelope was parsed from (inflated), for sinks that copy record text. */
      readonly json: Buffer
    }
  | { readonly ok: false; readonly letter: DeadLetter }

/** Oversized payloads keep only a prefix in the dead letters, enough to identify the sender. */
const OVERSIZED_PREFIX_BYTES = 1024

function letter(topic: string, payload: Uint8Array, receivedAt: string, reason: DeadLetterReason, message: string): Decoded {
  const keep = reason === 'ENVELOPE_TOO_LARGE' ? payload.subarray(0, OVERSIZED_PREFIX_BYTES) : payload
  return { ok: false, letter: { receivedAt, topic, reason, message, payloadBytes: payload.length, payload: Buffer.from(keep) } }
}

function topicProblem(topic: string): { reason: DeadLetterReason; message: string } {
  const parts = topic.split('/')
  if (parts.length === 5 && `${parts[0]}/${parts[1]}` === TELEMETRY_ROOT && !(STREAMS as readonly string[]).includes(parts[4] ?? '')) {
    return { reason: 'STREAM_UNKNOWN', message: `stream '${parts[4]?.slice(0, 64)}' is not one of ${STREAMS.join(', ')}` }
  }
  return { reason: 'TOPIC_INVALID', message: `topic '${topic.slice(0, 200)}' is not dt/edgetwin/<kind>/<deviceId>/<stream>` }
}

/**
 * Pure: topic and payload in, a validated envelope or a dead letter out. The envelope must name the same device,
 * kind and stream as the topic, because the topic is what the broker ACL / IoT policy authorised the sender for.
 */
export function decodeMessage(topic: string, payload: Uint8Array, receivedAt: string, limits: DecodeLimits = {}): Decoded {
  const parsed = parseTelemetryTopic(topic)
  if (!parsed) {
    const p = topicProblem(topic)
    return letter(topic, payload, receivedAt, p.reason, p.message)
  }
  let envelope: BatchEnvelope
  let json: Buffer
  try {
    ;({ envelope, json } = decodeEnvelopeWithJson(payload, limits))
  } catch (err) {
    if (err instanceof SchemaError && err.code !== 'TOPIC_INVALID') {
      const reason: DeadLetterReason = err.errors.some((e) => e.path === '/stream') ? 'STREAM_UNKNOWN' : err.code
      return letter(topic, payload, receivedAt, reason, err.message)
    }
    throw err
  }
  if (envelope.deviceId !== parsed.deviceId || envelope.kind !== parsed.kind || envelope.stream !== parsed.stream) {
    const got = `${envelope.kind}/${envelope.deviceId}/${envelope.stream}`
    return letter(
      topic,
      payload,
      receivedAt,
      'TOPIC_MISMATCH',
      `envelope names ${got}, topic names ${parsed.kind}/${parsed.deviceId}/${parsed.stream}`,
    )
  }
  return { ok: true, topic: parsed, envelope, json }
}

/** Per-sink high-water marks of one (device, stream): the highest seq each sink has durably received. */
export type SinkMarks = Readonly<Partial<Record<SinkName, number>>>

export interface SinkDelivery {
  readonly sink: SinkName
  /** Only the records above this sink's high-water mark, in seq order. */
  readonly records: readonly EnvelopeRecord[]
  /** The mark to store once the sink has the records. */
  readonly lastSeq: number
}

export interface RoutePlan {
  readonly envelope: BatchEnvelope
  readonly deliveries: readonly SinkDelivery[]
  /** Records of the batch that every sink already had (a replay, or the replayed part of one). */
  readonly replayedCount: number
}

/**
 * Pure: which records of a batch go to which sink. A record goes to a sink only if its seq is above that sink's
 * high-water mark; sequence numbers only grow per (device, stream), so this drops replays (at-least-once
 * delivery from the device) and keeps a sink that failed half-way from receiving anything twice on retry.
 */
export function planRoute(envelope: BatchEnvelope, marks: SinkMarks): RoutePlan {
  const deliveries: SinkDelivery[] = []
  let freshForAny = 0
  for (const sink of ROUTES[envelope.stream]) {
    const mark = marks[sink] ?? 0
    if (envelope.lastSeq <= mark) continue
    const records = envelope.firstSeq > mark ? envelope.records : envelope.records.filter((r) => r.seq > mark)
    freshForAny = Math.max(freshForAny, records.length)
    deliveries.push({ sink, records, lastSeq: envelope.lastSeq })
  }
  return { envelope, deliveries, replayedCount: envelope.records.length - freshForAny }
}
