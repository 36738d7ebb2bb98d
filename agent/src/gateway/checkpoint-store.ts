import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { GatewayError } from './errors.js'
import type { AggregatorState } from './window-aggregator.js'

/** What a source resumes from after a restart: its watermark and the windows still open at that point. */
export interface Checkpoint {
  readonly version: 1
  /** The last watermark value whose row has been fully processed (text, exactly as PostgreSQL printed it). */
  readonly watermark: string | null
  readonly aggregator: AggregatorState
}

/**
 * One JSON file per source in the agent's data directory, replaced atomically: written to a temporary file,
 * fsynced, renamed over the old one, and the directory fsynced (POSIX rename(2) is atomic; the directory fsync
 * makes the rename durable). A crash leaves either the old or the new checkpoint, never a torn one.
 */
export class CheckpointStore {
  readonly #dir: string

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
      if (value.version !== 1 || typeof value.aggregator !== 'object') throw new Error(`unknown checkpoint version ${value.version}`)
      return value
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
      writeFileSync(tmp, JSON.stringify(checkpoint), { mode: 0o600 })
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
}
