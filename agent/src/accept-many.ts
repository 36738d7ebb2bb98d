import type { StreamName } from '@edgetwin/shared-schemas'
import { type AcceptManyResult, type AcceptResult, encodeRecords } from './accept.js'
import { type AgentError, isAgentError } from './errors.js'
import type { HealthCounters, LastError } from './health/counters.js'
import type { GroupCommitter } from './outbox/group-commit.js'

export interface AcceptManyContext {
  readonly maxRecordBytes: number
  readonly counters: HealthCounters
  readonly lastError: LastError
  readonly committer: GroupCommitter
  readonly listeners: ReadonlySet<(stream: StreamName, record: unknown, seq: number) => void>
  /** Set when a filter must see the records one at a time (residency, the position filter): `accept` of one. */
  readonly oneByOne: ((record: unknown) => Promise<AcceptResult>) | undefined
}

/**
 * `Agent.acceptMany`: every record validated and encoded first (one invalid record rejects the call and stores
 * none), then all of them handed to the group committer at once: one promise for the call, not one per record.
 */
export async function acceptMany(c: AcceptManyContext, stream: StreamName, records: readonly unknown[]): Promise<AcceptManyResult[]> {
  let encoded: ReturnType<typeof encodeRecords>
  try {
    encoded = encodeRecords(stream, records, c.maxRecordBytes)
  } catch (err) {
    c.counters.rejected += Array.isArray(records) ? records.length : 1
    throw err
  }
  if (c.oneByOne) {
    // Every record was validated above, so the call is all or nothing; `accept` encodes each again for its filter.
    const one = c.oneByOne
    return Promise.all(records.map((r) => one(r).catch((error: AgentError) => ({ seq: null, error }))))
  }
  // The committer copies what it stores; the validated values outlive the commit's wait only for listeners
  // (otherwise they die young: GC), the texts only for a listener added during the wait.
  const pending = c.committer.insertMany(encoded)
  const values = c.listeners.size > 0 ? encoded.map((e) => e.value) : undefined
  const texts = encoded.map((e) => e.data)
  const outcomes = await pending
  const results = new Array<AcceptManyResult>(outcomes.length)
  for (let i = 0; i < outcomes.length; i++) {
    const r = outcomes[i]!
    if (typeof r !== 'number') {
      c.counters.rejected++
      if (isAgentError(r)) c.lastError.record(r)
      results[i] = { seq: null, error: r }
      continue
    }
    c.counters.accepted++
    results[i] = { seq: r }
    if (c.listeners.size > 0) {
      // A listener added during the commit gets the stored text's value too: parsed from what was validated.
      const record = values?.[i] ?? JSON.parse(texts[i]!)
      for (const l of c.listeners) l(stream, record, r)
    }
  }
  return results
}
