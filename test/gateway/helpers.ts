import { Writable } from 'node:stream'
import pino, { type Logger } from 'pino'

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value as NonNullable<T>
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** A real pino logger whose output (JSON lines, after redaction) the test can read. */
export function capturedLogger(): { logger: Logger; lines: () => string[]; text: () => string } {
  const chunks: string[] = []
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(chunk.toString())
      cb()
    },
  })
  const logger = pino({ level: 'debug' }, stream)
  const text = () => chunks.join('')
  return { logger, text, lines: () => text().split('\n').filter(Boolean) }
}
