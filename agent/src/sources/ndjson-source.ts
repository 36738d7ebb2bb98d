import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import type { Logger } from 'pino'
import type { AcceptResult } from '../accept.js'
import { AgentError } from '../errors.js'

export interface NdjsonSourceOptions {
  /** A file path, or `-` for `stdin`. */
  readonly path: string
  readonly accept: (stream: string, record: unknown) => Promise<AcceptResult>
  readonly logger: Logger
  /** Input used for `-`. @default process.stdin */
  readonly stdin?: Readable
  /** Accepts allowed in flight at once; enough to fill a group commit. @default 2000 */
  readonly concurrency?: number
  readonly signal?: AbortSignal
}

export interface NdjsonSourceResult {
  readonly lines: number
  readonly accepted: number
  readonly filtered: number
  /** Lines refused (bad JSON, bad shape, invalid record, outbox full...), each logged with its line number. */
  readonly refused: number
}

/**
 * Feeds `{"stream": "...", "record": {...}}` lines into the agent. A bad line is logged and counted and
 * loses nothing else. Back-pressure: at most `concurrency` accepts are pending; reading pauses beyond that.
 */
export async function runNdjsonSource(o: NdjsonSourceOptions): Promise<NdjsonSourceResult> {
  const input = o.path === '-' ? (o.stdin ?? process.stdin) : createReadStream(o.path)
  const rl = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })
  // On shutdown stop reading at once, even if stdin stays open.
  const stop = () => {
    rl.close()
    if (input !== process.stdin) input.destroy()
  }
  o.signal?.addEventListener('abort', stop, { once: true })
  const concurrency = o.concurrency ?? 2000
  const pending = new Set<Promise<void>>()
  let lines = 0
  let accepted = 0
  let filtered = 0
  let refused = 0
  const refuse = (line: number, err: unknown) => {
    refused++
    const e = err as AgentError
    o.logger.warn({ line, code: e.code, err: e.message }, 'ndjson line refused')
  }
  try {
    for await (const text of rl) {
      if (o.signal?.aborted) break
      lines++
      if (text.trim() === '') continue
      const lineNo = lines
      let item: { stream?: unknown; record?: unknown }
      try {
        item = JSON.parse(text) as typeof item
        if (typeof item !== 'object' || item === null || typeof item.stream !== 'string' || !('record' in item)) {
          throw new AgentError('AGENT_INVALID_RECORD', 'line must be {"stream": "<name>", "record": {...}}')
        }
      } catch (err) {
        refuse(lineNo, err instanceof AgentError ? err : new AgentError('AGENT_INVALID_RECORD', `not JSON: ${(err as Error).message}`))
        continue
      }
      const p: Promise<void> = o.accept(item.stream as string, item.record).then(
        (r) => {
          if (r.seq === null) filtered++
          else accepted++
        },
        (err) => refuse(lineNo, err),
      )
      pending.add(p)
      void p.finally(() => pending.delete(p))
      if (pending.size >= concurrency) await Promise.race(pending)
    }
  } catch (err) {
    throw new AgentError('AGENT_SOURCE_ERROR', `reading ${o.path}: ${(err as Error).message}`, { cause: err })
  } finally {
    o.signal?.removeEventListener('abort', stop)
    rl.close()
  }
  await Promise.all(pending)
  return { lines, accepted, filtered, refused }
}
