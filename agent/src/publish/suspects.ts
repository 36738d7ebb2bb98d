import type { StreamName } from '@edgetwin/shared-schemas'

/** A batch that was the oldest unacknowledged one when the connection dropped. */
export interface SuspectVerdict {
  /** How many drops in a row this batch was the oldest unacknowledged one for. */
  readonly drops: number
  /** What to do: send it again (alone), send fewer records (it may be too large), or quarantine it. */
  readonly action: 'retry-alone' | 'split' | 'quarantine'
  /** Quarantine and hold the stream back: a second batch of it was refused, so the stream is, not one record. */
  readonly hold: boolean
}

/**
 * Decides what a dropped connection says about the batch that was oldest in flight (pure, no I/O). A broker that
 * closes the connection over one message does so again for that message on every reconnect: Mosquitto closes an
 * MQTT 3.1.1 connection after a publish its ACL denies, and answers an MQTT 5 publish over `message_size_limit`
 * with PUBACK 0x95, which is not a valid PUBACK reason code, so MQTT.js fails the connection. A network fault
 * does not keep following one message. So: the suspect is sent alone after a drop; a batch of several records
 * is split (one of them may be too large); a single record still dropped `maxRefusals` times in a row is
 * quarantined; when the next batch of the same stream is dropped too, the stream itself is refused (an ACL):
 * that batch is quarantined at once and the stream held back.
 */
export class DropSuspects {
  private readonly drops = new Map<string, number>()
  /** Streams with a batch quarantined after drops and none acknowledged since. */
  private readonly struck = new Set<StreamName>()
  /** Streams whose records a broker refused by closing the connection, and when they may be tried again. */
  private readonly heldUntilMs = new Map<StreamName, { untilMs: number; holdMs: number }>()

  constructor(
    private readonly maxRefusals: number,
    private readonly initialHoldMs: number,
    private readonly maxHoldMs = Math.max(initialHoldMs, 3_600_000),
  ) {}

  /** The connection dropped while this batch was the oldest unacknowledged one. */
  dropped(stream: StreamName, firstSeq: number, recordCount: number): SuspectVerdict {
    const key = `${stream}:${firstSeq}`
    const drops = (this.drops.get(key) ?? 0) + 1
    this.drops.set(key, drops)
    if (this.struck.has(stream)) return { drops, action: 'quarantine', hold: true }
    if (recordCount > 1) return { drops, action: 'split', hold: false }
    return { drops, action: drops >= this.maxRefusals ? 'quarantine' : 'retry-alone', hold: false }
  }

  /** A batch of `stream` was quarantined after drops: one more dropped batch means the stream is refused. */
  strike(stream: StreamName): void {
    this.struck.add(stream)
  }

  /** The broker refused this batch with a reason code; returns the refusals so far (kept across re-reads). */
  refused(stream: StreamName, firstSeq: number): number {
    const key = `refused:${stream}:${firstSeq}`
    const n = (this.drops.get(key) ?? 0) + 1
    this.drops.set(key, n)
    return n
  }

  isSuspect(stream: StreamName, firstSeq: number): boolean {
    return this.drops.has(`${stream}:${firstSeq}`)
  }

  /** Acknowledged or quarantined: no longer suspect. */
  clear(stream: StreamName, firstSeq: number): void {
    this.drops.delete(`${stream}:${firstSeq}`)
    this.drops.delete(`refused:${stream}:${firstSeq}`)
  }

  /** Holds a refused stream back (doubling from `initialHoldMs` up to 1 h) so it cannot keep dropping the connection. */
  hold(stream: StreamName, nowMs: number): number {
    const prev = this.heldUntilMs.get(stream)
    const holdMs = prev ? Math.min(this.maxHoldMs, prev.holdMs * 2) : this.initialHoldMs
    this.heldUntilMs.set(stream, { untilMs: nowMs + holdMs, holdMs })
    return holdMs
  }

  /** A batch of the stream was acknowledged: the broker accepts it again. */
  release(stream: StreamName): void {
    this.heldUntilMs.delete(stream)
    this.struck.delete(stream)
  }

  isHeld(stream: StreamName, nowMs: number): boolean {
    const h = this.heldUntilMs.get(stream)
    return h !== undefined && nowMs < h.untilMs
  }

  /** When the earliest held stream may be tried again, if any is held. */
  nextReleaseMs(): number | undefined {
    let next: number | undefined
    for (const h of this.heldUntilMs.values()) if (next === undefined || h.untilMs < next) next = h.untilMs
    return next
  }
}

/**
 * What a verdict of `quarantine` tells the user: its error code, the quarantine kind and the reason. MQTT 5 brokers
 * refuse with a reason code (0x87), so there a drop points at size (Mosquitto's invalid 0x95); under 3.1.1 a drop
 * is a refusal or a size limit, which the agent cannot tell apart.
 */
export function quarantineVerdict(
  verdict: SuspectVerdict,
  protocol5: boolean,
): { code: 'AGENT_MESSAGE_TOO_LARGE' | 'AGENT_PUBLISH_REFUSED'; kind: 'too-large' | 'refused'; reason: string } {
  const reason = verdict.hold
    ? 'the broker closed the connection right after this batch, as after an earlier one of the stream: the stream is refused (ACL or policy)'
    : `the broker closed the connection right after each of ${verdict.drops} attempts to publish this record: ${protocol5 ? 'too large for the broker' : 'refused (ACL or policy), or too large for the broker'}`
  const tooLarge = protocol5 && !verdict.hold
  return { code: tooLarge ? 'AGENT_MESSAGE_TOO_LARGE' : 'AGENT_PUBLISH_REFUSED', kind: tooLarge ? 'too-large' : 'refused', reason }
}
