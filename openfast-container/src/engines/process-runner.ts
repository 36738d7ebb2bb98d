import type { ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { DispatchError } from '../errors.js'
import { failureReason } from './failure-reason.js'

export interface ProcessRunOptions {
  /** Starts the child; it must be spawned with `detached: true` so that its whole process group can be signalled. */
  readonly start: () => ChildProcess
  /** What the child is, for messages (`openfast`, `rotor-model`). */
  readonly label: string
  readonly timeoutMs: number
  /** Between SIGTERM and SIGKILL. */
  readonly killGraceMs: number
  readonly signal: AbortSignal
  /** stdout and stderr are appended here (server-generated name inside the run folder). */
  readonly logFile: string
  readonly onOutput?: (text: string) => void
  /** Exit codes meaning the program could not be found or executed (a wrapper's 126/127): DISPATCH_ENGINE_NOT_FOUND. */
  readonly notFoundExitCodes?: readonly number[]
  /** Checked every `intervalMs` while the child runs; an error it returns stops the run (SIGTERM, then SIGKILL) with it. */
  readonly monitor?: { readonly intervalMs: number; check(): Promise<DispatchError | undefined> }
}

/** The first and the last characters of the output are kept: OpenFAST states an error early, a crash ends in a backtrace. */
const HEAD_CHARS = 8000
const TAIL_CHARS = 8000

/** Sends `signal` to the child's process group (the child and anything it started), ignoring a group already gone. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    // ESRCH: the group has exited between the check and the signal; nothing left to stop.
  }
}

/**
 * Runs one child process to completion with a timeout and cancellation: SIGTERM to its process group, then
 * SIGKILL after `killGraceMs`. Resolves on exit code 0; rejects with DISPATCH_ENGINE_NOT_FOUND (cannot start),
 * DISPATCH_ENGINE_TIMEOUT, DISPATCH_CANCELED, or DISPATCH_ENGINE_FAILED (non-zero exit or killed, with the tail
 * of its output).
 */
export function runProcess(o: ProcessRunOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (o.signal.aborted) {
      reject(new DispatchError('DISPATCH_CANCELED', `${o.label} run canceled before it started`))
      return
    }
    const log = createWriteStream(o.logFile, { flags: 'a' })
    let head = ''
    let tail = ''
    let stopReason: 'timeout' | 'canceled' | DispatchError | undefined
    let killTimer: NodeJS.Timeout | undefined
    let spawnError: Error | undefined
    const child = o.start()

    const onData = (buf: Buffer): void => {
      log.write(buf)
      const text = buf.toString('utf8')
      if (head.length < HEAD_CHARS) head += text.slice(0, HEAD_CHARS - head.length)
      tail = (tail + text).slice(-TAIL_CHARS)
      o.onOutput?.(text)
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)

    const stop = (reason: 'timeout' | 'canceled' | DispatchError): void => {
      if (stopReason) return
      stopReason = reason
      signalGroup(child, 'SIGTERM')
      killTimer = setTimeout(() => signalGroup(child, 'SIGKILL'), o.killGraceMs)
      killTimer.unref()
    }
    const timeout = setTimeout(() => stop('timeout'), o.timeoutMs)
    timeout.unref()
    const onAbort = (): void => stop('canceled')
    const monitor = o.monitor
    const monitorTimer = monitor
      ? setInterval(() => {
          monitor.check().then(
            (err) => err && stop(err),
            () => undefined,
          )
        }, monitor.intervalMs)
      : undefined
    monitorTimer?.unref()
    o.signal.addEventListener('abort', onAbort, { once: true })

    child.once('error', (err) => {
      spawnError = err
    })
    child.once('close', (code, signal) => {
      clearTimeout(timeout)
      clearInterval(monitorTimer)
      if (killTimer) clearTimeout(killTimer)
      o.signal.removeEventListener('abort', onAbort)
      log.end(() => {
        if (spawnError) {
          const notFound =
            (spawnError as NodeJS.ErrnoException).code === 'ENOENT' || (spawnError as NodeJS.ErrnoException).code === 'EACCES'
          reject(
            notFound
              ? new DispatchError('DISPATCH_ENGINE_NOT_FOUND', `${o.label} could not be started: ${spawnError.message}`, {
                  cause: spawnError,
                })
              : new DispatchError('DISPATCH_ENGINE_FAILED', `${o.label} failed: ${spawnError.message}`, { cause: spawnError }),
          )
        } else if (stopReason instanceof DispatchError) {
          reject(stopReason)
        } else if (stopReason === 'timeout') {
          reject(new DispatchError('DISPATCH_ENGINE_TIMEOUT', `${o.label} exceeded the run timeout of ${o.timeoutMs} ms and was stopped`))
        } else if (stopReason === 'canceled') {
          reject(new DispatchError('DISPATCH_CANCELED', `${o.label} run canceled`))
        } else if (code === 0) {
          resolve()
        } else if (code !== null && o.notFoundExitCodes?.includes(code)) {
          reject(
            new DispatchError('DISPATCH_ENGINE_NOT_FOUND', `${o.label} could not be started (exit ${code}): ${failureReason(head, tail)}`),
          )
        } else {
          const how = code === null ? `was killed by ${signal}` : `exited with code ${code}`
          reject(new DispatchError('DISPATCH_ENGINE_FAILED', `${o.label} ${how}: ${failureReason(head, tail)}`))
        }
      })
    })
  })
}
