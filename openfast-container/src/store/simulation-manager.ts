import { randomUUID } from 'node:crypto'
import { mkdir, readdir, rm, stat } from 'node:fs/promises'
import {
  CONTROLLER_PARAMETER_DEFAULTS,
  type ExecuteRequest,
  type SimulationEngineName,
  type SimulationStatus,
} from '@edgetwin/shared-schemas'
import type { Logger } from 'pino'
import { type EngineRun, RESULT_FILES, type SimulationEngine } from '../engines/engine.js'
import { DispatchError, isDispatchError } from '../errors.js'
import { resolveInside } from '../paths.js'
import { summarizeOutFile } from '../postprocess.js'

export interface SimulationManagerOptions {
  readonly engines: ReadonlyMap<SimulationEngineName, SimulationEngine>
  readonly runsDir: string
  /** Resolves an uploaded deck id to its folder (throws DISPATCH_NOT_FOUND). */
  readonly deckDir: (deckId: string) => Promise<string>
  readonly maxConcurrentRuns: number
  readonly maxQueuedRuns: number
  /** Refuses, before it is queued, a request the server will not run (the output size limit); throws a DispatchError. */
  readonly checkRequest?: (request: ExecuteRequest) => void
  readonly log: Logger
  readonly now?: () => Date
  readonly newId?: () => string
}

interface RunRecord {
  status: SimulationStatus
  readonly request: ExecuteRequest
  readonly runDir: string
  readonly abort: AbortController
  /** Settles when the run has left RUNNING (whatever the outcome). */
  settled?: Promise<void>
}

const FINAL_STATES = new Set(['SUCCEEDED', 'FAILED', 'CANCELED'])

/**
 * Owns every simulation: a bounded FIFO queue in front of at most `maxConcurrentRuns` engine runs, the status of
 * each, and its run folder `runsDir/<id>` (the only place an engine writes).
 */
export class SimulationManager {
  readonly #o: SimulationManagerOptions
  readonly #runs = new Map<string, RunRecord>()
  readonly #queue: string[] = []
  #running = 0
  #closed = false

  constructor(options: SimulationManagerOptions) {
    this.#o = options
  }

  #now(): string {
    return (this.#o.now?.() ?? new Date()).toISOString()
  }

  counts(): { running: number; queued: number } {
    return { running: this.#running, queued: this.#queue.length }
  }

  /** Accepts a run (QUEUED) or refuses it: DISPATCH_QUEUE_FULL when every slot and queue place is taken. */
  submit(request: ExecuteRequest): SimulationStatus {
    if (this.#closed) throw new DispatchError('DISPATCH_CLOSED', 'the dispatch server is shutting down')
    const engine = this.#o.engines.get(request.engine)
    if (!engine) throw new DispatchError('DISPATCH_INVALID_REQUEST', `engine '${request.engine}' is not enabled on this server`)
    engine.check?.(request)
    this.#o.checkRequest?.(request)
    if (this.#running >= this.#o.maxConcurrentRuns && this.#queue.length >= this.#o.maxQueuedRuns) {
      const retryAfterS = this.#secondsToFreeSlot()
      throw new DispatchError(
        'DISPATCH_QUEUE_FULL',
        `${this.#running} runs are running and ${this.#queue.length} queued (limits ${this.#o.maxConcurrentRuns} and ${this.#o.maxQueuedRuns}); retry after ${retryAfterS} s`,
        { retryAfterS },
      )
    }
    const id = this.#o.newId?.() ?? `sim-${randomUUID()}`
    const status: SimulationStatus = {
      id,
      state: 'QUEUED',
      progress: 0,
      engine: request.engine,
      engineVersion: engine.version,
      createdAt: this.#now(),
      ...(request.label !== undefined ? { label: request.label } : {}),
      ...('deckId' in request ? { deckId: request.deckId } : {}),
    }
    this.#runs.set(id, { status, request, runDir: resolveInside(this.#o.runsDir, id), abort: new AbortController() })
    this.#queue.push(id)
    this.#pump()
    return { ...status }
  }

  get(id: string): SimulationStatus {
    return { ...this.#record(id).status }
  }

  list(): SimulationStatus[] {
    return [...this.#runs.values()].map((r) => ({ ...r.status }))
  }

  /** The run's `results/` folder. */
  resultsDir(id: string): string {
    return resolveInside(this.#record(id).runDir, 'results')
  }

  /** Cancels a queued or running run (SIGTERM, then SIGKILL), waits for it to stop, deletes its folder and record. */
  async delete(id: string): Promise<SimulationStatus> {
    const record = this.#record(id)
    this.#cancel(record)
    await record.settled
    await rm(record.runDir, { recursive: true, force: true })
    this.#runs.delete(id)
    return { ...record.status }
  }

  /** Uploaded decks that a queued or running run still needs. */
  decksInUse(): Set<string> {
    const ids = new Set<string>()
    for (const r of this.#runs.values()) {
      if ('deckId' in r.request && !FINAL_STATES.has(r.status.state)) ids.add(r.request.deckId)
    }
    return ids
  }

  /**
   * The retention policy: deletes the records and folders of runs that finished more than `maxAgeMs` ago, and run
   * folders no record knows (left by an earlier process) last modified that long ago. Returns the ids deleted.
   */
  async sweep(maxAgeMs: number): Promise<string[]> {
    const cutoff = (this.#o.now?.() ?? new Date()).getTime() - maxAgeMs
    const deleted: string[] = []
    for (const [id, record] of this.#runs) {
      const finishedAt = record.status.finishedAt ? Date.parse(record.status.finishedAt) : undefined
      if (finishedAt === undefined || finishedAt >= cutoff) continue
      // Files first: once the record is gone, nothing may be left of the run.
      await rm(record.runDir, { recursive: true, force: true })
      this.#runs.delete(id)
      deleted.push(id)
    }
    for (const name of await readdir(this.#o.runsDir).catch(() => [] as string[])) {
      if (this.#runs.has(name)) continue
      const dir = resolveInside(this.#o.runsDir, name)
      const modified = (await stat(dir).catch(() => undefined))?.mtimeMs
      if (modified !== undefined && modified < cutoff) {
        await rm(dir, { recursive: true, force: true })
        deleted.push(name)
      }
    }
    if (deleted.length > 0) this.#o.log.info({ deleted: deleted.length, maxAgeMs }, 'expired runs deleted')
    return deleted
  }

  /** Stops accepting runs, cancels every queued and running one and waits for them (run folders are kept). */
  async close(): Promise<void> {
    this.#closed = true
    const records = [...this.#runs.values()]
    for (const r of records) this.#cancel(r)
    await Promise.all(records.map((r) => r.settled))
  }

  #record(id: string): RunRecord {
    const record = this.#runs.get(id)
    if (!record) throw new DispatchError('DISPATCH_NOT_FOUND', `no simulation with id '${id}'`)
    return record
  }

  #cancel(record: RunRecord): void {
    if (FINAL_STATES.has(record.status.state)) return
    const queuedAt = this.#queue.indexOf(record.status.id)
    if (queuedAt >= 0) {
      this.#queue.splice(queuedAt, 1)
      this.#finish(record, 'CANCELED', 'canceled while queued')
    }
    record.abort.abort()
  }

  /**
   * When a run slot (and with it a queue place) is likely to free: the soonest finish among the running runs,
   * extrapolated from each one's elapsed time and progress, in whole seconds within [1, 600]; 5 s while no running
   * run has reported progress yet.
   */
  #secondsToFreeSlot(): number {
    const nowMs = Date.parse(this.#now())
    let soonestMs = Number.POSITIVE_INFINITY
    for (const { status } of this.#runs.values()) {
      if (status.state !== 'RUNNING' || !status.startedAt || status.progress <= 0) continue
      const elapsedMs = Math.max(0, nowMs - Date.parse(status.startedAt))
      soonestMs = Math.min(soonestMs, (elapsedMs * (1 - status.progress)) / status.progress)
    }
    if (!Number.isFinite(soonestMs)) return 5
    return Math.min(600, Math.max(1, Math.ceil(soonestMs / 1000)))
  }

  #finish(record: RunRecord, state: 'SUCCEEDED' | 'FAILED' | 'CANCELED', error?: string): void {
    const finishedAt = this.#now()
    const started = record.status.startedAt ? Date.parse(record.status.startedAt) : undefined
    record.status = {
      ...record.status,
      state,
      finishedAt,
      ...(state === 'SUCCEEDED' ? { progress: 1 } : {}),
      ...(started !== undefined ? { runtimeMs: Math.max(0, Date.parse(finishedAt) - started) } : {}),
      ...(error !== undefined ? { error } : {}),
    }
  }

  #pump(): void {
    while (this.#running < this.#o.maxConcurrentRuns && this.#queue.length > 0) {
      const record = this.#runs.get(this.#queue.shift()!)!
      this.#running++
      record.settled = this.#execute(record).finally(() => {
        this.#running--
        this.#pump()
      })
    }
  }

  async #execute(record: RunRecord): Promise<void> {
    const { request, runDir } = record
    const engine = this.#o.engines.get(request.engine)!
    const log = this.#o.log.child({ simulationId: record.status.id, engine: engine.name })
    record.status = { ...record.status, state: 'RUNNING', startedAt: this.#now() }
    log.info('simulation started')
    try {
      await mkdir(runDir, { recursive: true })
      const job: EngineRun = {
        id: record.status.id,
        runDir,
        request,
        signal: record.abort.signal,
        deckDir: 'deckId' in request ? await this.#o.deckDir(request.deckId) : undefined,
        onProgress: (fraction) => {
          if (record.status.state === 'RUNNING') record.status = { ...record.status, progress: Math.max(record.status.progress, fraction) }
        },
      }
      const { outFile } = await engine.run(job)
      await summarizeOutFile(outFile, resolveInside(this.resultsDir(record.status.id), RESULT_FILES.summary), {
        id: record.status.id,
        engine: engine.name,
        engineVersion: engine.version,
        overspeedGeneratorRpm:
          ('controllerParameters' in request ? request.controllerParameters?.overspeedAlarmGeneratorSpeedRpm : undefined) ??
          CONTROLLER_PARAMETER_DEFAULTS.overspeedAlarmGeneratorSpeedRpm,
      })
      this.#finish(record, 'SUCCEEDED')
      log.info({ runtimeMs: record.status.runtimeMs }, 'simulation succeeded')
    } catch (err) {
      const canceled = record.abort.signal.aborted
      this.#finish(record, canceled ? 'CANCELED' : 'FAILED', (err as Error).message)
      if (canceled) log.info('simulation canceled')
      else log.warn({ err, code: isDispatchError(err) ? err.code : undefined }, 'simulation failed')
    }
  }
}
