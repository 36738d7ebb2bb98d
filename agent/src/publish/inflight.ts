import type { StreamName } from '@edgetwin/shared-schemas'
import type { OutboxRow } from '../outbox/outbox.js'

/** One batch handed to MQTT and not yet settled (acknowledged, refused, quarantined or abandoned). */
export interface InflightBatch {
  readonly stream: StreamName
  readonly firstSeq: number
  readonly lastSeq: number
  readonly count: number
  /** JSON bytes of its records, before compression. */
  readonly recordBytes: number
  refusals: number
  /** When the PUBLISH was (re)sent, for the acknowledgement watchdog. */
  sentAtMs: number
  /** Its connection closed first: it will be read and sent again, whatever settles this one later. */
  abandoned: boolean
  /** Suspected of making the broker close the connection: nothing else is sent while it is in flight. */
  alone: boolean
}

/** The batch of `rows` (at least one, in seq order), not sent yet. */
export function inflightBatch(stream: StreamName, rows: readonly OutboxRow[], alone: boolean): InflightBatch {
  let recordBytes = 0
  for (const r of rows) recordBytes += r.bytes
  return {
    stream,
    firstSeq: rows[0]!.seq,
    lastSeq: rows[rows.length - 1]!.seq,
    count: rows.length,
    recordBytes,
    refusals: 0,
    sentAtMs: Number.POSITIVE_INFINITY,
    abandoned: false,
    alone,
  }
}

/** The first batch sent more than `timeoutMs` before `nowMs` and still unacknowledged, if any. */
export function firstOverdue(inflight: Iterable<InflightBatch>, nowMs: number, timeoutMs: number): InflightBatch | undefined {
  for (const b of inflight) if (nowMs - b.sentAtMs > timeoutMs) return b
  return undefined
}

/** Waiters for an empty in-flight window, each released when it empties or after its own timeout. */
export class IdleWaiters {
  private waiters: (() => void)[] = []

  wait(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs)
      this.waiters.push(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  releaseAll(): void {
    for (const w of this.waiters.splice(0)) w()
  }
}
