import type { HealthReport } from '@edgetwin/shared-schemas'
import type { AgentError } from '../errors.js'

export type HealthCounters = HealthReport['counters']

export function newCounters(): HealthCounters {
  return {
    accepted: 0,
    published: 0,
    acked: 0,
    evicted: 0,
    rejected: 0,
    quarantined: 0,
    quarantinedRefused: 0,
    quarantinedTooLarge: 0,
    quarantinedDamaged: 0,
    filtered: 0,
    reconnects: 0,
  }
}

/** Why records were quarantined, as health counts them. */
export type QuarantineKind = 'refused' | 'too-large' | 'damaged'

const KIND_COUNTER = {
  refused: 'quarantinedRefused',
  'too-large': 'quarantinedTooLarge',
  damaged: 'quarantinedDamaged',
} as const satisfies Record<QuarantineKind, keyof HealthCounters>

/** Counts `n` quarantined records, in the total and under their reason. */
export function countQuarantined(counters: HealthCounters, kind: QuarantineKind, n: number): void {
  counters.quarantined += n
  counters[KIND_COUNTER[kind]] = (counters[KIND_COUNTER[kind]] ?? 0) + n
}

/** The most recent error, as health reports it. */
export class LastError {
  private value: HealthReport['lastError'] = null

  record(err: AgentError | (Error & { code?: string })): void {
    this.value = { code: String(err.code ?? 'AGENT_ERROR'), message: err.message.slice(0, 1000), at: new Date().toISOString() }
  }

  get(): HealthReport['lastError'] {
    return this.value
  }
}
