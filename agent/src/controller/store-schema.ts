/**
 * Controller store tables. `controller_revision` is the versioned parameter history (the highest revision is in
 * force), `controller_job` is the journal that makes each job id apply at most once, and `controller_audit` is
 * append-only: triggers abort any UPDATE or DELETE on it.
 */
export const CONTROLLER_DDL = `
CREATE TABLE IF NOT EXISTS controller_revision (
  revision INTEGER PRIMARY KEY,
  parameters TEXT NOT NULL,
  cause TEXT NOT NULL CHECK (cause IN ('initial', 'apply', 'rollback')),
  job_id TEXT,
  document_version INTEGER,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS controller_job (
  job_id TEXT PRIMARY KEY,
  document_sha256 TEXT NOT NULL,
  phase TEXT NOT NULL CHECK (phase IN ('gating', 'done')),
  revision_before INTEGER,
  revision_after INTEGER,
  window_s REAL,
  baseline_samples INTEGER,
  baseline_alarmed INTEGER,
  status TEXT,
  status_details TEXT,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS controller_audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  job_id TEXT NOT NULL,
  document_sha256 TEXT NOT NULL,
  verdict TEXT NOT NULL CHECK (verdict IN ('REJECTED', 'APPLIED', 'SUCCEEDED', 'ROLLED_BACK')),
  reason TEXT,
  parameters_before TEXT,
  parameters_after TEXT,
  revision_before INTEGER,
  revision_after INTEGER
);
CREATE TRIGGER IF NOT EXISTS controller_audit_no_update BEFORE UPDATE ON controller_audit
BEGIN SELECT RAISE(ABORT, 'controller_audit is append-only'); END;
CREATE TRIGGER IF NOT EXISTS controller_audit_no_delete BEFORE DELETE ON controller_audit
BEGIN SELECT RAISE(ABORT, 'controller_audit is append-only'); END;
`

export type AuditVerdict = 'REJECTED' | 'APPLIED' | 'SUCCEEDED' | 'ROLLED_BACK'

/** One row of the audit table, as `auditLog()` returns it. */
export interface AuditEntry {
  readonly id: number
  readonly at: string
  readonly jobId: string
  readonly documentSha256: string
  readonly verdict: AuditVerdict
  readonly reason: string | null
  readonly parametersBefore: string | null
  readonly parametersAfter: string | null
  readonly revisionBefore: number | null
  readonly revisionAfter: number | null
}
