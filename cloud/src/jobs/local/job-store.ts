import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { hostname } from 'node:os'
import { dirname } from 'node:path'
import type { CreateJobInput } from '@edgetwin/shared-schemas'
import Database from 'better-sqlite3'
import { CloudError } from '../../errors.js'
import { openCloudDatabase } from '../../runtime/sqlite.js'
import { JobBook, type JobRecord } from './job-book.js'

// One row per job. `state_json` is the job's JobRecord; NULL marks a job another process (the CLI) submitted
// that the serving process has not taken up yet. `ord` keeps creation order, which the book's queues rely on.
// The lease names the one process that serves this database on the broker (two would answer every request twice).
const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  ord INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL UNIQUE,
  input_json TEXT NOT NULL,
  submitted_at_ms INTEGER NOT NULL,
  state_json TEXT
);
CREATE INDEX IF NOT EXISTS jobs_submitted ON jobs(ord) WHERE state_json IS NULL;
CREATE TABLE IF NOT EXISTS service_lease (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  owner TEXT NOT NULL,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  heartbeat_ms INTEGER NOT NULL
);
`

/** A job written by another process and waiting for the serving process. */
export interface SubmittedJob {
  readonly jobId: string
  readonly input: CreateJobInput
  readonly submittedAtMs: number
}

/** Who serves the database, from its lease. */
export interface JobsLease {
  readonly host: string
  readonly pid: number
  readonly heartbeatMs: number
}

interface JobRow {
  job_id: string
  input_json: string
  submitted_at_ms: number
  state_json: string | null
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * The local jobs service's durable state in SQLite (WAL): each job's JobRecord as JSON, written in one
 * transaction per mutation, only for jobs whose state changed. Readers (`edgetwin jobs list`) open it
 * read-only while the service runs; the CLI submits jobs as rows without state that the service takes up.
 */
export class JobStore {
  /** Last state JSON this process wrote (or read) per job, so `save` writes only what changed. */
  private readonly written = new Map<string, string>()
  /** Jobs written in a settled state: they never change again, so `save` skips them. */
  private readonly settled = new Set<string>()
  private readonly owner = randomUUID()

  private constructor(private readonly db: Database.Database) {}

  /** Opens (creating if needed) the database for the serving process or a submitting CLI. */
  static open(path: string): JobStore {
    mkdirSync(dirname(path), { recursive: true })
    const db = openCloudDatabase(path)
    db.exec(SCHEMA)
    return new JobStore(db)
  }

  /** Opens an existing database read-only (safe while a service writes it: WAL readers never block). */
  static openReadOnly(path: string): JobStore {
    let db: Database.Database
    try {
      db = new Database(path, { readonly: true, fileMustExist: true })
    } catch (err) {
      throw new CloudError('CLOUD_JOBS_STORE_MISSING', `no jobs database at ${path}: ${(err as Error).message}`, { cause: err })
    }
    db.pragma('busy_timeout = 5000')
    return new JobStore(db)
  }

  /** The book as last committed (jobs taken up by the service, in creation order). */
  load(minuteMs: number): JobBook {
    this.written.clear()
    this.settled.clear()
    const records: JobRecord[] = []
    for (const row of this.db.prepare('SELECT job_id, state_json FROM jobs WHERE state_json IS NOT NULL ORDER BY ord').all() as JobRow[]) {
      const record = JSON.parse(row.state_json!) as JobRecord
      records.push(record)
      this.written.set(row.job_id, row.state_json!)
      if (JobBook.isSettled(record)) this.settled.add(row.job_id)
    }
    return JobBook.restore(records, minuteMs)
  }

  /**
   * What readers show: the committed book plus submitted jobs not yet taken up, as they will start (all
   * executions QUEUED at version 1).
   */
  view(minuteMs: number): JobBook {
    const book = this.load(minuteMs)
    for (const s of this.submitted()) book.create(s.input, s.submittedAtMs)
    return book
  }

  /** Writes every job whose state changed since the last save, in one transaction. */
  save(book: JobBook): void {
    const changed: Array<{ record: JobRecord; json: string }> = []
    for (const record of book.exportJobs(this.settled)) {
      const json = JSON.stringify(record)
      if (this.written.get(record.input.jobId) !== json) changed.push({ record, json })
    }
    if (changed.length === 0) return
    const insert = this.db.prepare('INSERT INTO jobs (job_id, input_json, submitted_at_ms, state_json) VALUES (?, ?, ?, ?)')
    const update = this.db.prepare('UPDATE jobs SET state_json = ? WHERE job_id = ?')
    this.db.transaction(() => {
      for (const { record, json } of changed) {
        const jobId = record.input.jobId
        if (this.written.has(jobId)) update.run(json, jobId)
        else insert.run(jobId, JSON.stringify(record.input), record.createdAtMs, json)
      }
    })()
    for (const { record, json } of changed) {
      this.written.set(record.input.jobId, json)
      if (JobBook.isSettled(record)) this.settled.add(record.input.jobId)
    }
  }

  /** Jobs submitted by other processes and not taken up yet, oldest first. */
  submitted(): SubmittedJob[] {
    const rows = this.db
      .prepare('SELECT job_id, input_json, submitted_at_ms FROM jobs WHERE state_json IS NULL ORDER BY ord')
      .all() as JobRow[]
    return rows.map((r) => ({ jobId: r.job_id, input: JSON.parse(r.input_json) as CreateJobInput, submittedAtMs: r.submitted_at_ms }))
  }

  /** Marks a submitted job as taken up by this process: its next `save` updates the existing row. */
  adopt(jobId: string): void {
    this.written.set(jobId, '')
  }

  exists(jobId: string): boolean {
    return this.db.prepare('SELECT 1 FROM jobs WHERE job_id = ?').get(jobId) !== undefined
  }

  /** Adds a job for the serving process to take up; throws `CLOUD_JOBS_CONFLICT` if the id exists. */
  submit(input: CreateJobInput, nowMs: number): void {
    try {
      this.db
        .prepare('INSERT INTO jobs (job_id, input_json, submitted_at_ms) VALUES (?, ?, ?)')
        .run(input.jobId, JSON.stringify(input), nowMs)
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new CloudError('CLOUD_JOBS_CONFLICT', `job ${input.jobId} already exists`, { cause: err })
      }
      throw err
    }
  }

  /**
   * Takes the serving lease. Another holder blocks it while its heartbeat is younger than `ttlMs` and, on this
   * host, its process is alive; a holder that crashed is taken over at once.
   */
  acquireLease(nowMs: number, ttlMs: number): void {
    this.db
      .transaction(() => {
        const holder = this.db.prepare('SELECT owner, host, pid, heartbeat_ms AS heartbeatMs FROM service_lease WHERE id = 1').get() as
          | (JobsLease & { owner: string })
          | undefined
        if (holder && holder.owner !== this.owner && nowMs - holder.heartbeatMs < ttlMs) {
          const alive = holder.host !== hostname() || pidAlive(holder.pid)
          if (alive) {
            throw new CloudError(
              'CLOUD_JOBS_LOCKED',
              `jobs database is served by pid ${holder.pid} on ${holder.host}; one service per database`,
            )
          }
        }
        this.db
          .prepare('INSERT OR REPLACE INTO service_lease (id, owner, host, pid, heartbeat_ms) VALUES (1, ?, ?, ?, ?)')
          .run(this.owner, hostname(), process.pid, nowMs)
      })
      .immediate()
  }

  /** Renews the lease; false if another process took it over meanwhile. */
  heartbeat(nowMs: number): boolean {
    return this.db.prepare('UPDATE service_lease SET heartbeat_ms = ? WHERE id = 1 AND owner = ?').run(nowMs, this.owner).changes === 1
  }

  releaseLease(): void {
    this.db.prepare('DELETE FROM service_lease WHERE id = 1 AND owner = ?').run(this.owner)
  }

  /** The serving process, if its heartbeat is younger than `ttlMs`. */
  lease(nowMs: number, ttlMs: number): JobsLease | undefined {
    const row = this.db.prepare('SELECT host, pid, heartbeat_ms AS heartbeatMs FROM service_lease WHERE id = 1').get() as
      | JobsLease
      | undefined
    return row && nowMs - row.heartbeatMs < ttlMs ? row : undefined
  }

  close(): void {
    this.db.close()
  }
}
