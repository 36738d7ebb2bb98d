import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type { DecisionLog, DecisionRecord } from './decision-log.js'
import type { TwinNotification } from './notifier.js'
import type { TwinJobExecutionStatus, TwinJobs } from './ports.js'

const TERMINAL: ReadonlySet<TwinJobExecutionStatus> = new Set(['SUCCEEDED', 'FAILED', 'REJECTED', 'TIMED_OUT', 'CANCELED', 'REMOVED'])
/** Outcomes that say the candidate does not work on that turbine: the agent refused it, or applied it and rolled back. */
const REFUSED: ReadonlySet<string> = new Set(['FAILED', 'REJECTED'])
/** Records read back to find jobs whose outcome is not yet noted. */
const LOOKBACK = 500

const key = (jobId: string, deviceId: string) => `${jobId}/${deviceId}`

/**
 * Notes, once, how each of the twin's update jobs ended on each turbine: one record with `outcome` per
 * (job, turbine). A FAILED execution is the agent's health gate rolling the update back: the record carries the
 * agent's reason, and the candidate is not tried on that turbine again (`refusedCandidates`).
 */
export async function recordJobOutcomes(deps: {
  provenance: DecisionLog
  jobs: TwinJobs
  now: Date
  log: Logger
  notify: (n: TwinNotification) => Promise<void>
}): Promise<DecisionRecord[]> {
  const recent = await deps.provenance.list({ limit: LOOKBACK })
  const noted = new Set(recent.flatMap((r) => (r.outcome ? [key(r.outcome.jobId, r.deviceId)] : [])))
  const written: DecisionRecord[] = []
  for (const r of recent) {
    if (!r.jobId || r.outcome || r.decision.action !== 'update' || noted.has(key(r.jobId, r.deviceId))) continue
    const { status, statusDetails } = deps.jobs.execution
      ? await deps.jobs.execution(r.jobId, r.deviceId)
      : { status: await deps.jobs.executionStatus(r.jobId, r.deviceId), statusDetails: undefined }
    if (!TERMINAL.has(status)) continue
    const agentReason = statusDetails?.['reason']
    const reasonCode = statusDetails?.['reasonCode']
    const candidate = r.decision.candidate
    const refused = REFUSED.has(status)
    const reason = refused
      ? `job ${r.jobId} ended ${status} on ${r.deviceId}` +
        `${status === 'FAILED' ? `, rolled back${statusDetails?.['rolledBackTo'] ? ` to controller version ${statusDetails['rolledBackTo']}` : ''}` : ''}` +
        `${reasonCode ? `: ${reasonCode}` : ''}${agentReason ? `: ${agentReason}` : ''}` +
        `${candidate ? `; ${candidate} is not tried on ${r.deviceId} again` : ''}`
      : `job ${r.jobId} ended ${status} on ${r.deviceId}`
    const record: DecisionRecord = {
      id: randomUUID(),
      createdAt: deps.now.toISOString(),
      deviceId: r.deviceId,
      conditions: { outcomeOf: r.id },
      inputsHash: r.inputsHash,
      engine: r.engine,
      engineVersion: r.engineVersion,
      seeds: r.seeds,
      results: null,
      decision: { action: 'none', reason },
      jobId: r.jobId,
      outcome: {
        decisionId: r.id,
        jobId: r.jobId,
        status,
        ...(candidate ? { candidate } : {}),
        ...(reasonCode ? { reasonCode } : {}),
        ...(agentReason ? { reason: agentReason } : {}),
      },
    }
    await deps.provenance.append(record)
    noted.add(key(r.jobId, r.deviceId))
    written.push(record)
    deps.log.info({ deviceId: r.deviceId, jobId: r.jobId, status, reasonCode }, 'job outcome recorded')
    if (refused)
      await deps.notify({
        subject: `edgetwin: ${r.jobId} ${status} on ${r.deviceId}`,
        deviceId: r.deviceId,
        kind: 'failure',
        message: reason,
      })
  }
  return written
}

/** Candidates that a turbine refused or rolled back, by name, with the recorded reason: never proposed to it again. */
export function refusedCandidates(history: readonly DecisionRecord[]): Map<string, string> {
  const out = new Map<string, string>()
  for (const r of history) {
    const o = r.outcome
    if (o?.candidate && REFUSED.has(o.status) && !out.has(o.candidate)) out.set(o.candidate, r.decision.reason)
  }
  return out
}
