import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { StreamName } from '@edgetwin/shared-schemas'

/** Sequence numbers reserved ahead per write of the floor file (one small fsync'd write per million records). */
export const SEQ_FLOOR_BLOCK = 1_000_000

/**
 * A file beside the outbox holding, per stream, a sequence number above every one handed out. The outbox
 * database is the authority while it is healthy; when it is lost (a 0-byte or corrupt file replaced by a fresh
 * one) the agent resumes above the floor, so the router's per-stream high-water mark never drops new records as
 * replays of old ones. Written atomically (temp file, fsync, rename) before a transaction that needs it commits.
 */
export class SeqFloor {
  private readonly reserved: Map<StreamName, number>

  constructor(readonly path: string) {
    this.reserved = new Map(Object.entries(SeqFloor.read(path)) as [StreamName, number][])
  }

  /** The floor file's content, or {} when there is none (or it cannot be parsed). */
  static read(path: string): Partial<Record<StreamName, number>> {
    try {
      const value = JSON.parse(readFileSync(path, 'utf8')) as unknown
      if (!value || typeof value !== 'object') return {}
      return Object.fromEntries(Object.entries(value).filter(([, v]) => Number.isSafeInteger(v) && (v as number) > 0))
    } catch {
      return {}
    }
  }

  /** Ensures the floor of `stream` is above `nextSeq`; throws (ENOSPC, EIO) when the file cannot be written. */
  cover(stream: StreamName, nextSeq: number): void {
    if ((this.reserved.get(stream) ?? 0) > nextSeq) return
    this.coverAll(new Map([[stream, nextSeq]]))
  }

  /** `cover` for several streams in one write of the file (none when every floor is above already). */
  coverAll(nextSeqs: ReadonlyMap<StreamName, number>): void {
    const next = new Map(this.reserved)
    for (const [stream, nextSeq] of nextSeqs) if ((next.get(stream) ?? 0) <= nextSeq) next.set(stream, nextSeq + SEQ_FLOOR_BLOCK)
    if ([...next].every(([s, v]) => this.reserved.get(s) === v)) return
    const tmp = `${this.path}.tmp`
    writeFileSync(tmp, JSON.stringify(Object.fromEntries(next)))
    const fd = openSync(tmp, 'r')
    try {
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, this.path)
    const dir = openSync(dirname(this.path), 'r')
    try {
      fsyncSync(dir)
    } finally {
      closeSync(dir)
    }
    for (const [s, v] of next) this.reserved.set(s, v)
  }
}
