import { createHash } from 'node:crypto'
import { inspect } from 'node:util'
import { type AgentJobsConfig, type ControllerUpdateJobDocument, canonicalJson } from '@edgetwin/shared-schemas'
import type { Logger } from 'pino'
import type { JobExecutionContext, JobHandler, JobOutcome } from '../jobs/job-handler.js'
import { checkControllerUpdate } from './envelope.js'
import { judgeHealth } from './health-gate.js'
import type { ControllerParameterStore, JobRecord } from './parameter-store.js'
import { createSignatureVerifier, type SignatureVerifier } from './signature.js'
import type { TelemetryWatch } from './telemetry-watch.js'

export interface ControllerUpdaterOptions {
  readonly store: ControllerParameterStore
  readonly watch: TelemetryWatch
  readonly config: AgentJobsConfig
  readonly logger: Logger
  /** Milliseconds since the epoch, for signature expiry. @default Date.now */
  readonly now?: () => number
}

/** SHA-256 of the document's canonical JSON (what the audit table records); robust to any decoded value. */
export function documentSha256(document: unknown): string {
  let bytes: Buffer
  try {
    bytes = Buffer.from(canonicalJson(document) ?? String(document))
  } catch {
    // BigInt, cyclic or prototype-less values cannot be JSON (or even String()); hash their inspected form
    // so the audit row still identifies the input.
    bytes = Buffer.from(inspect(document, { depth: 8 }))
  }
  return createHash('sha256').update(bytes).digest('hex')
}

/**
 * The controller-update job handler: validate against the safety envelope, apply, watch the health gate,
 * keep or roll back. Idempotent per job id through the store's journal, so a job handed over again after a
 * restart resumes its gate (or re-reports its recorded outcome) instead of applying twice.
 */
export class ControllerUpdater implements JobHandler {
  private readonly verify: SignatureVerifier | undefined

  constructor(private readonly options: ControllerUpdaterOptions) {
    const { config } = options
    this.verify = config.publicKeyPem ? createSignatureVerifier(config.publicKeyPem) : undefined
  }

  async execute(ctx: JobExecutionContext): Promise<JobOutcome> {
    const { store, config, logger } = this.options
    const log = logger.child({ jobId: ctx.jobId })
    const existing = store.job(ctx.jobId)
    if (existing?.phase === 'done' && existing.outcome) {
      log.info({ status: existing.outcome.status }, 'job already executed; reporting the recorded outcome')
      return existing.outcome
    }
    if (existing?.phase === 'gating') {
      log.warn('resuming the health gate of a job applied before a restart')
      return this.gate(existing, log)
    }
    const sha = documentSha256(ctx.document)
    const check = checkControllerUpdate(ctx.document, {
      current: store.current().parameters,
      lastDocumentVersion: store.lastDocumentVersion(),
      envelope: config.envelope,
      defaultMaxChangeFraction: config.maxChangeFraction,
      requireSignature: config.requireSignature,
      ...(this.verify ? { verifySignature: this.verify } : {}),
      binding: {
        jobId: ctx.jobId,
        thingName: ctx.thingName,
        thingGroups: config.thingGroups ?? [],
        nowS: Math.floor((this.options.now ?? Date.now)() / 1000),
        clockSkewS: config.clockSkewS,
      },
    })
    if (!check.ok) {
      const outcome: JobOutcome = { status: 'REJECTED', statusDetails: { reasonCode: check.code, reason: check.reason } }
      store.recordRejection(ctx.jobId, sha, outcome)
      log.warn({ reasonCode: check.code, reason: check.reason }, 'controller update rejected')
      return outcome
    }
    const windowS = this.windowS(check.document)
    const baseline = this.options.watch.baseline(windowS)
    const { before, after } = store.apply({
      jobId: ctx.jobId,
      documentSha256: sha,
      documentVersion: check.document.version,
      parameters: check.next,
      windowS,
      baseline,
    })
    log.info({ from: before.version, to: after.version, windowS }, 'controller update applied; health gate open')
    try {
      await ctx.reportProgress({ phase: 'health-gate', controllerVersion: String(after.version) })
    } catch (err) {
      // Progress is informative; the final update carries the outcome and is retried by the client.
      log.warn({ err }, 'progress report failed')
    }
    return this.gate(store.job(ctx.jobId)!, log)
  }

  private windowS(document: ControllerUpdateJobDocument): number {
    const { healthGate } = this.options.config
    return Math.min(document.healthGate?.windowS ?? healthGate.windowS, healthGate.maxWindowS)
  }

  private async gate(record: JobRecord, log: Logger): Promise<JobOutcome> {
    const { store, watch, config } = this.options
    const windowS = record.windowS ?? config.healthGate.windowS
    const tally = await watch.observe(windowS, record.revisionAfter ?? 0, windowS * 1000 * config.healthGate.wallClockFactor)
    const verdict = judgeHealth(record.baseline ?? { samples: 0, alarmed: 0 }, tally, config.healthGate)
    const outcome: JobOutcome = verdict.ok
      ? { status: 'SUCCEEDED', statusDetails: { controllerVersion: String(record.revisionAfter), samples: String(tally.samples) } }
      : {
          status: 'FAILED',
          statusDetails: { reasonCode: verdict.code, reason: verdict.reason, rolledBackTo: String(record.revisionBefore) },
        }
    const state = store.finish(record.jobId, outcome)
    log.info({ status: outcome.status, tally, controllerVersion: state.version }, 'health gate closed')
    return outcome
  }
}
