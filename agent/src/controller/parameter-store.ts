import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { ControllerParameters, JobStatusDetails } from '@edgetwin/shared-schemas'
import Database from 'better-sqlite3'
import type { JobOutcome } from '../jobs/job-handler.js'
import { type AuditEntry, type AuditVerdict, CONTROLLER_DDL } from './store-schema.js'

/** The parameters in force and their revision (increases on every apply and every rollback). */
export interface ControllerState {
  readonly version: number
  readonly parameters: ControllerParameters
}

/** A job the store has seen: `gating` = applied, health gate not finished; `done` = outcome recorded. */
export interface JobRecord {
  readonly jobId: string
  readonly documentSha256: string
  readonly phase: 'gating' | 'done'
  readonly revisionBefore: number | null
  readonly revisionAfter: number | null
  readonly windowS: number | null
  readonly baseline: { readonly samples: number; readonly alarmed: number } | null
  readonly outcome: JobOutcome | null
}

export interface ApplyRequest {
  readonly jobId: string
  readonly documentSha256: string
  readonly documentVersion: number
  readonly parameters: ControllerParameters
  readonly windowS: number
  readonly baseline: { readonly samples: number; readonly alarmed: number }
}

export interface ParameterStoreOptions {
  readonly path: string
  /** Parameters in force when the database is new. */
  readonly initial: ControllerParameters
  readonly now?: () => Date
}

type Listener = (state: ControllerState) => void

/**
 * Versioned controller parameters in SQLite (WAL, synchronous FULL: an applied update survives power loss).
 * Each apply, rollback and audit entry of one step is a single transaction, so a crash leaves either the whole
 * step or none of it.
 */
export class ControllerParameterStore {
  private readonly db: Database.Database
  private readonly now: () => Date
  private readonly listeners = new Set<Listener>()
  private state: ControllerState

  constructor(options: ParameterStoreOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true })
    this.db = new Database(options.path)
    this.db.pragma('journal_mode = WAL')
    this.db.pragma('synchronous = FULL')
    this.db.exec(CONTROLLER_DDL)
    this.now = options.now ?? (() => new Date())
    const count = this.db.prepare('SELECT COUNT(*) AS n FROM controller_revision').get() as { n: number }
    if (count.n === 0) this.insertRevision(options.initial, 'initial', null, null)
    this.state = this.readCurrent()
  }

  /** The parameters in force. */
  current(): ControllerState {
    return this.state
  }

  /** Called after every change (apply or rollback) with the new state; returns an unsubscribe function. */
  onChange(listener: Listener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Highest document version ever applied, rolled back or not: a replay of any of them is refused. */
  lastDocumentVersion(): number {
    const row = this.db.prepare("SELECT MAX(document_version) AS v FROM controller_revision WHERE cause = 'apply'").get() as {
      v: number | null
    }
    return row.v ?? 0
  }

  job(jobId: string): JobRecord | undefined {
    const row = this.db.prepare('SELECT * FROM controller_job WHERE job_id = ?').get(jobId) as Record<string, unknown> | undefined
    if (!row) return undefined
    return {
      jobId,
      documentSha256: row.document_sha256 as string,
      phase: row.phase as 'gating' | 'done',
      revisionBefore: row.revision_before as number | null,
      revisionAfter: row.revision_after as number | null,
      windowS: row.window_s as number | null,
      baseline: row.baseline_samples === null ? null : { samples: row.baseline_samples as number, alarmed: row.baseline_alarmed as number },
      outcome:
        row.status === null
          ? null
          : { status: row.status as JobOutcome['status'], statusDetails: JSON.parse(row.status_details as string) as JobStatusDetails },
    }
  }

  /** Records a refused document: audit entry plus the outcome, parameters untouched. */
  recordRejection(jobId: string, documentSha256: string, outcome: JobOutcome): void {
    this.db.transaction(() => {
      this.upsertJob(jobId, documentSha256, 'done', null, null, null, null, outcome)
      this.audit(jobId, documentSha256, 'REJECTED', outcome.statusDetails.reason ?? null, null, null, null, null)
    })()
  }

  /** Puts new parameters in force and journals the job as `gating`, in one transaction. */
  apply(request: ApplyRequest): { before: ControllerState; after: ControllerState } {
    const before = this.state
    this.db.transaction(() => {
      const revision = this.insertRevision(request.parameters, 'apply', request.jobId, request.documentVersion)
      this.upsertJob(request.jobId, request.documentSha256, 'gating', before.version, revision, request.windowS, request.baseline, null)
      this.audit(request.jobId, request.documentSha256, 'APPLIED', null, before.parameters, request.parameters, before.version, revision)
    })()
    return { before, after: this.changed() }
  }

  /**
   * Ends a gating job. SUCCEEDED keeps the parameters; anything else restores those in force before the job
   * (as a new revision, so versions only grow) and audits the rollback with the reason.
   */
  finish(jobId: string, outcome: JobOutcome): ControllerState {
    const record = this.job(jobId)
    if (record?.phase !== 'gating') return this.state
    const rollback = outcome.status !== 'SUCCEEDED'
    this.db.transaction(() => {
      if (rollback && record.revisionBefore !== null) {
        const previous = this.readRevision(record.revisionBefore)
        const from = this.readCurrent()
        const revision = this.insertRevision(previous, 'rollback', jobId, null)
        this.audit(
          jobId,
          record.documentSha256,
          'ROLLED_BACK',
          outcome.statusDetails.reason ?? null,
          from.parameters,
          previous,
          from.version,
          revision,
        )
      } else {
        this.audit(jobId, record.documentSha256, 'SUCCEEDED', null, null, this.state.parameters, null, this.state.version)
      }
      this.upsertJob(
        jobId,
        record.documentSha256,
        'done',
        record.revisionBefore,
        record.revisionAfter,
        record.windowS,
        record.baseline,
        outcome,
      )
    })()
    return rollback ? this.changed() : this.state
  }

  auditLog(): AuditEntry[] {
    return this.db
      .prepare(
        `SELECT id, at, job_id AS jobId, document_sha256 AS documentSha256, verdict, reason, parameters_before AS parametersBefore,
         parameters_after AS parametersAfter, revision_before AS revisionBefore, revision_after AS revisionAfter
         FROM controller_audit ORDER BY id`,
      )
      .all() as AuditEntry[]
  }

  /** Exposed for tests and operators that try to tamper: the triggers refuse. */
  database(): Database.Database {
    return this.db
  }

  close(): void {
    if (this.db.open) this.db.close()
  }

  private changed(): ControllerState {
    this.state = this.readCurrent()
    for (const listener of this.listeners) listener(this.state)
    return this.state
  }

  private readCurrent(): ControllerState {
    const row = this.db.prepare('SELECT revision, parameters FROM controller_revision ORDER BY revision DESC LIMIT 1').get() as {
      revision: number
      parameters: string
    }
    return { version: row.revision, parameters: JSON.parse(row.parameters) as ControllerParameters }
  }

  private readRevision(revision: number): ControllerParameters {
    const row = this.db.prepare('SELECT parameters FROM controller_revision WHERE revision = ?').get(revision) as { parameters: string }
    return JSON.parse(row.parameters) as ControllerParameters
  }

  private insertRevision(parameters: ControllerParameters, cause: string, jobId: string | null, documentVersion: number | null): number {
    const info = this.db
      .prepare('INSERT INTO controller_revision (parameters, cause, job_id, document_version, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(JSON.stringify(parameters), cause, jobId, documentVersion, this.now().toISOString())
    return Number(info.lastInsertRowid)
  }

  private upsertJob(
    jobId: string,
    sha: string,
    phase: 'gating' | 'done',
    before: number | null,
    after: number | null,
    windowS: number | null,
    baseline: { samples: number; alarmed: number } | null,
    outcome: JobOutcome | null,
  ): void {
    this.db
      .prepare(
        `INSERT INTO controller_job (job_id, document_sha256, phase, revision_before, revision_after, window_s, baseline_samples,
           baseline_alarmed, status, status_details, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (job_id) DO UPDATE SET phase = excluded.phase, status = excluded.status,
           status_details = excluded.status_details, updated_at = excluded.updated_at`,
      )
      .run(
        jobId,
        sha,
        phase,
        before,
        after,
        windowS,
        baseline?.samples ?? null,
        baseline?.alarmed ?? null,
        outcome?.status ?? null,
        outcome ? JSON.stringify(outcome.statusDetails) : null,
        this.now().toISOString(),
      )
  }

  private audit(
    jobId: string,
    sha: string,
    verdict: AuditVerdict,
    reason: string | null,
    before: ControllerParameters | null,
    after: ControllerParameters | null,
    revisionBefore: number | null,
    revisionAfter: number | null,
  ): void {
    this.db
      .prepare(
        `INSERT INTO controller_audit (at, job_id, document_sha256, verdict, reason, parameters_before, parameters_after,
           revision_before, revision_after) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        this.now().toISOString(),
        jobId,
        sha,
        verdict,
        reason,
        before && JSON.stringify(before),
        after && JSON.stringify(after),
        revisionBefore,
        revisionAfter,
      )
  }
}
