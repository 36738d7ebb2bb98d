import type { HealthReport } from '@edgetwin/shared-schemas'
import type { AgentError } from '../errors.js'

export type HealthCounters = HealthReport['counters']

export function newCounters(): HealthCounters {
  return { accepted: 0, published: 0, acked: 0, evicted: 0, rejected: 0, quarantined: 0, filtered: 0, reconnects: 0 }
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
