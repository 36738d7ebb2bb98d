import type { DeviceEvent, GatewayAggregate, GatewayProcessingConfig } from '@edgetwin/shared-schemas'
import { type WindowResult, windowResult } from './alarms.js'
import type { Checkpoint, CheckpointStore } from './checkpoint-store.js'
import { type Correction, recomputeLateWindows, type StoredResult, type WindowReader } from './corrections.js'
import { type AggregatorState, type Reading, WindowAggregator } from './window-aggregator.js'

/** Where processed results go upstream; the gateway hands them to the residency gate. */
export type EmitFn = (stream: 'aggregate' | 'events', record: GatewayAggregate | DeviceEvent) => Promise<unknown>

/** Where results are written back on site (`null`: no site database, e.g. an MQTT-only gateway). */
export interface ResultsSink {
  write(source: string, results: readonly WindowResult[]): Promise<void>
  /** What is stored for these (device, window start) pairs, to tell a real correction from a replay. */
  read?(keys: ReadonlyArray<{ readonly deviceId: string; readonly windowStartMs: number }>): Promise<StoredResult[]>
}

export interface PipelineDeps {
  readonly source: string
  readonly processing: GatewayProcessingConfig
  readonly store: CheckpointStore
  readonly results: ResultsSink | null
  readonly emit: EmitFn
  /**
   * A source that can be read again (a PostgreSQL table). Its checkpoints hold only where to resume, and windows
   * that receive rows after they closed are recomputed from it. Without one (site MQTT), checkpoints hold the
   * open windows' values and late readings are counted and dropped.
   */
  readonly replay?: WindowReader
  /** The id that leaves the site for a device (a pseudonym when configured). */
  readonly upstreamId?: (deviceId: string) => string
}

export interface BatchInput {
  readonly readings: readonly Reading[]
  /** Readings of rows re-read after a restart (already seen before it; see `PostgresSource.poll`). */
  readonly replayed?: readonly Reading[]
  /** The re-read has passed the point processed before the restart. */
  readonly replayDone?: boolean
  /** The source's watermark after these readings (`undefined`: keep the current one). */
  readonly watermark?: string | null
  /** Also close windows that ended at or before this time (the clock, for an idle source). */
  readonly closeUpToMs?: number
}

export interface BatchOutcome {
  readonly closed: number
  readonly late: number
  readonly corrections: number
  readonly overflow: number
  readonly alarms: number
}

interface State {
  /** The watermark to read after next. */
  readonly watermark: string | null
  readonly aggregator: AggregatorState
  /** After a restart: rows up to this watermark were processed before it (re-read only to rebuild windows). */
  readonly replayUntil: string | null | undefined
}

function initialState(saved: Checkpoint | null): State {
  if (!saved) return { watermark: null, aggregator: { closedUpToMs: null, maxEventTimeMs: null, open: [] }, replayUntil: undefined }
  if (saved.version === 1) return { watermark: saved.watermark, aggregator: saved.aggregator, replayUntil: undefined }
  return {
    watermark: saved.resumeWatermark,
    aggregator: { closedUpToMs: saved.closedUpToMs, maxEventTimeMs: saved.maxEventTimeMs, open: [] },
    replayUntil: saved.resumeWatermark === saved.watermark ? undefined : saved.watermark,
  }
}

/**
 * One source's processing, with exactly one committed state. A batch runs on a copy of the committed windows:
 * aggregate → write results back → emit upstream → save the checkpoint. Only then does the copy become the
 * committed state. If any step fails nothing is committed and the same batch is redone from the same state,
 * so the site results never miss or double-count a row (the write-back is an upsert); upstream delivery is
 * at-least-once, like every agent stream. A batch's records are handed to the agent together, so they share
 * one outbox transaction and leave in one MQTT message rather than one message each.
 */
export class SourcePipeline {
  readonly #deps: PipelineDeps
  #state: State
  #savedVersion: 1 | 2 | null
  #savedWatermark: string | null | undefined
  /** Batches run one after another: each starts from the state the previous one committed. */
  #queue: Promise<unknown> = Promise.resolve()

  constructor(deps: PipelineDeps) {
    this.#deps = deps
    const saved = deps.store.load(deps.source)
    this.#savedVersion = saved?.version ?? null
    this.#savedWatermark = saved?.watermark
    this.#state = initialState(saved)
  }

  get watermark(): string | null {
    return this.#state.watermark
  }

  /** Pass to the source's poll while a restart's re-read is under way (`undefined`: not replaying). */
  get replayUntil(): string | null | undefined {
    return this.#state.replayUntil
  }

  get openWindows(): number {
    return this.#state.aggregator.open.length
  }

  process(input: BatchInput): Promise<BatchOutcome> {
    const run = this.#queue.then(() => this.#process(input))
    this.#queue = run.catch(() => {})
    return run
  }

  async #process(input: BatchInput): Promise<BatchOutcome> {
    const { processing, replay } = this.#deps
    const upstreamId = this.#deps.upstreamId ?? ((id: string) => id)
    const aggregator = new WindowAggregator(
      {
        windowMs: processing.windowS * 1000,
        allowedLatenessMs: processing.allowedLatenessS * 1000,
        maxReadingsPerWindow: processing.maxReadingsPerWindow,
      },
      this.#state.aggregator,
    )
    // A window opened by this batch can be rebuilt by re-reading from the watermark before it.
    const resumeFrom = replay ? this.#state.watermark : undefined
    // Replayed rows of closed windows were counted before the restart; the others rebuild the open windows.
    aggregator.add(
      (input.replayed ?? []).filter((r) => !aggregator.isLate(r.timeMs)),
      resumeFrom,
    )
    const added = aggregator.add(input.readings, resumeFrom)
    const closed = aggregator.closeByEventTime()
    if (input.closeUpToMs !== undefined) closed.push(...aggregator.closeUpTo(input.closeUpToMs - processing.allowedLatenessS * 1000))
    const results = closed.map((w) => windowResult(w, processing.alarms, upstreamId))
    const corrections: Correction[] =
      replay && added.lateWindows.length > 0
        ? await recomputeLateWindows(added.lateWindows, { reader: replay, results: this.#deps.results, processing, upstreamId })
        : []
    const written = [...results, ...corrections.map((c) => c.result)]
    if (this.#deps.results && written.length > 0) await this.#deps.results.write(this.#deps.source, written)

    const records: Array<['aggregate', GatewayAggregate] | ['events', DeviceEvent]> = []
    let alarms = 0
    for (const r of results) {
      records.push(['aggregate', r.aggregate])
      for (const e of r.events) records.push(['events', e])
      alarms += r.events.length
    }
    for (const c of corrections) {
      records.push(['aggregate', { ...c.result.aggregate, correction: true }])
      for (const e of c.newAlarmEvents) records.push(['events', e])
      alarms += c.newAlarmEvents.length
    }
    // All at once: the agent's group commit puts them in one transaction, and the publisher in one batch.
    await Promise.all(records.map(([stream, record]) => this.#deps.emit(stream, record)))

    const watermark = input.watermark === undefined ? this.#state.watermark : input.watermark
    const replayUntil = input.replayDone ? undefined : this.#state.replayUntil
    const next: State = { watermark, aggregator: aggregator.snapshot(), replayUntil }
    this.#save(aggregator, next, closed.length + corrections.length > 0, input.readings.length > 0)
    this.#state = next
    return { closed: closed.length, late: added.late, corrections: corrections.length, overflow: added.overflow, alarms }
  }

  /**
   * Records how far a replayable source has read, so a restart re-reads less (called every minute and on a
   * graceful close; a few hundred bytes). Nothing to do for other sources: their checkpoints are always current.
   */
  flush(): Promise<void> {
    const run = this.#queue.then(() => {
      if (!this.#deps.replay || this.#savedVersion !== 2 || this.#state.watermark === this.#savedWatermark) return
      const aggregator = new WindowAggregator({ windowMs: 1, allowedLatenessMs: 0, maxReadingsPerWindow: 1 }, this.#state.aggregator)
      this.#save(aggregator, this.#state, true, false)
    })
    this.#queue = run.catch(() => {})
    return run
  }

  #save(aggregator: WindowAggregator, next: State, windowsChanged: boolean, newRows: boolean): void {
    const point = this.#deps.replay ? aggregator.resumePoint() : undefined
    const watermarkMoved = next.watermark !== this.#state.watermark
    if (point === undefined) {
      // Values checkpoint: the open windows cannot be rebuilt by re-reading, so every change is saved.
      if (newRows || windowsChanged || watermarkMoved) {
        this.#deps.store.save(this.#deps.source, { version: 1, watermark: next.watermark, aggregator: next.aggregator })
        this.#savedVersion = 1
        this.#savedWatermark = next.watermark
      }
      return
    }
    // Replay checkpoint: only where to resume, which changes when windows close (or none is open any more).
    const due = windowsChanged || this.#savedVersion !== 2 || (point.kind === 'noneOpen' && watermarkMoved)
    if (!due) return
    const high = next.replayUntil !== undefined ? next.replayUntil : next.watermark
    this.#deps.store.save(this.#deps.source, {
      version: 2,
      watermark: high,
      resumeWatermark: point.kind === 'from' ? point.watermark : next.watermark,
      closedUpToMs: next.aggregator.closedUpToMs,
      maxEventTimeMs: next.aggregator.maxEventTimeMs,
    })
    this.#savedVersion = 2
    this.#savedWatermark = next.watermark
  }
}
