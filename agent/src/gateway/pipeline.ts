import type { DeviceEvent, GatewayAggregate, GatewayProcessingConfig } from '@edgetwin/shared-schemas'
import { type WindowResult, windowResult } from './alarms.js'
import type { Checkpoint, CheckpointStore } from './checkpoint-store.js'
import { type Reading, WindowAggregator } from './window-aggregator.js'

/** Where processed results go upstream; the gateway hands them to the residency gate. */
export type EmitFn = (stream: 'aggregate' | 'events', record: GatewayAggregate | DeviceEvent) => Promise<unknown>

/** Where results are written back on site (`null`: no site database, e.g. an MQTT-only gateway). */
export interface ResultsSink {
  write(source: string, results: readonly WindowResult[]): Promise<void>
}

export interface PipelineDeps {
  readonly source: string
  readonly processing: GatewayProcessingConfig
  readonly store: CheckpointStore
  readonly results: ResultsSink | null
  readonly emit: EmitFn
}

export interface BatchInput {
  readonly readings: readonly Reading[]
  /** The source's watermark after these readings (`undefined`: keep the current one). */
  readonly watermark?: string | null
  /** Also close windows that ended at or before this time (the clock, for an idle source). */
  readonly closeUpToMs?: number
}

export interface BatchOutcome {
  readonly closed: number
  readonly late: number
  readonly overflow: number
  readonly alarms: number
}

/**
 * One source's processing, with exactly one committed state. A batch runs on a copy of the committed windows:
 * aggregate → write results back → emit upstream → save the checkpoint. Only then does the copy become the
 * committed state. If any step fails nothing is committed and the same batch is redone from the same state,
 * so the site results never miss or double-count a row (the write-back is an upsert); upstream delivery is
 * at-least-once, like every agent stream.
 */
export class SourcePipeline {
  readonly #deps: PipelineDeps
  #committed: Checkpoint
  /** Batches run one after another: each starts from the state the previous one committed. */
  #queue: Promise<unknown> = Promise.resolve()

  constructor(deps: PipelineDeps) {
    this.#deps = deps
    this.#committed = deps.store.load(deps.source) ?? {
      version: 1,
      watermark: null,
      aggregator: { closedUpToMs: null, maxEventTimeMs: null, open: [] },
    }
  }

  get watermark(): string | null {
    return this.#committed.watermark
  }

  get openWindows(): number {
    return this.#committed.aggregator.open.length
  }

  process(input: BatchInput): Promise<BatchOutcome> {
    const run = this.#queue.then(() => this.#process(input))
    this.#queue = run.catch(() => {})
    return run
  }

  async #process(input: BatchInput): Promise<BatchOutcome> {
    const { processing } = this.#deps
    const aggregator = new WindowAggregator(
      {
        windowMs: processing.windowS * 1000,
        allowedLatenessMs: processing.allowedLatenessS * 1000,
        maxReadingsPerWindow: processing.maxReadingsPerWindow,
      },
      this.#committed.aggregator,
    )
    const added = aggregator.add(input.readings)
    const closed = aggregator.closeByEventTime()
    if (input.closeUpToMs !== undefined) closed.push(...aggregator.closeUpTo(input.closeUpToMs - processing.allowedLatenessS * 1000))
    const results = closed.map((w) => windowResult(w, processing.alarms))
    if (this.#deps.results) await this.#deps.results.write(this.#deps.source, results)
    let alarms = 0
    for (const r of results) {
      await this.#deps.emit('aggregate', r.aggregate)
      for (const e of r.events) {
        alarms++
        await this.#deps.emit('events', e)
      }
    }
    const next: Checkpoint = {
      version: 1,
      watermark: input.watermark === undefined ? this.#committed.watermark : input.watermark,
      aggregator: aggregator.snapshot(),
    }
    const changed = input.readings.length > 0 || closed.length > 0 || next.watermark !== this.#committed.watermark
    if (changed) this.#deps.store.save(this.#deps.source, next)
    this.#committed = next
    return { closed: closed.length, late: added.late, overflow: added.overflow, alarms }
  }
}
