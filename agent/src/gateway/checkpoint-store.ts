import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { GatewayError } from './errors.js'
import type { AggregatorState } from './window-aggregator.js'

/**
 * What a source that cannot be re-read (site MQTT) resumes from after a restart: its watermark and the windows
 * still open at that point, with their values.
 */
export interface ValuesCheckpoint {
  readonly version: 1
  /** The last watermark value whose row has been fully processed (text, exactly as PostgreSQL printed it). */
  readonly watermark: string | null
  readonly aggregator: AggregatorState
}

/**
 * What a replayable source (a PostgreSQL table) resumes from: no values, only where to re-read. The open
 * windows are rebuilt by reading the table again from `resumeWatermark`; rows up to `watermark` were seen
 * before and are not counted twice. A few hundred bytes, rewritten only when windows close, so a one-hour
 * window costs no writes per row (issue: a 3 MB checkpoint rewritten and fsynced on every batch).
 */
export interface ReplayCheckpoint {
  readonly version: 2
  /** The highest watermark processed when this checkpoint was written. */
  readonly watermark: string | null
  /** Re-read from here (exclusive; `null`: from the source's initial watermark). */
  readonly resumeWatermark: string | null
  readonly closedUpToMs: number | null
  readonly maxEventTimeMs: number | null
}

export type Checkpoint = ValuesCheckpoint | ReplayCheckpoint

/**
 * One JSON file per source in the agent's data directory, replaced atomically: written to a temporary file,
 * fsynced, renamed over the old one, and the directory fsynced (POSIX rename(2) is atomic; the directory fsync
 * makes the rename durable). A crash leaves either the old or the new checkpoint, never a torn one.
 */
export class CheckpointStore {
  readonly #dir: string
  #bytesWritten = 0
  #writes = 0

  constructor(dir: string) {
    this.#dir = dir
    mkdirSync(dir, { recursive: true, mode: 0o700 })
  }

  #path(source: string): string {
    return join(this.#dir, `${source}.checkpoint.json`)
  }

  load(source: string): Checkpoint | null {
    let text: string
    try {
      text = readFileSync(this.#path(source), 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw new GatewayError('AGENT_GATEWAY_CHECKPOINT', `cannot read the checkpoint of source '${source}'`, { cause: err })
    }
    try {
      const value = JSON.parse(text) as Checkpoint
      if (value.version === 1 && typeof value.aggregator === 'object') return value
      if (value.version === 2 && 'resumeWatermark' in value) return value
      throw new Error(`unknown checkpoint version ${(value as { version?: unknown }).version}`)
    } catch (err) {
      throw new GatewayError(
        'AGENT_GATEWAY_CHECKPOINT',
        `checkpoint of source '${source}' at ${this.#path(source)} is corrupt; move it away to restart from the configured initial watermark`,
        { cause: err },
      )
    }
  }

  save(source: string, checkpoint: Checkpoint): void {
    const path = this.#path(source)
    const tmp = `${path}.tmp`
    try {
      const text = JSON.stringify(checkpoint)
      writeFileSync(tmp, text, { mode: 0o600 })
      this.#bytesWritten += Buffer.byteLength(text)
      this.#writes++
      const fd = openSync(tmp, 'r+')
      try {
        fsyncSync(fd)
      } finally {
        closeSync(fd)
      }
      renameSync(tmp, path)
      const dirFd = openSync(this.#dir, 'r')
      try {
        fsyncSync(dirFd)
      } finally {
        closeSync(dirFd)
      }
    } catch (err) {
      throw new GatewayError('AGENT_GATEWAY_CHECKPOINT', `cannot save the checkpoint of source '${source}' to ${path}`, { cause: err })
    }
  }

  /** Checkpoint bytes written (and files fsynced) by this store since it was created: the flash-wear figure. */
  get written(): { readonly bytes: number; readonly writes: number } {
    return { bytes: this.#bytesWritten, writes: this.#writes }
  }
}
