import { execFile } from 'node:child_process'
import { access, constants } from 'node:fs/promises'
import { promisify } from 'node:util'
import type { Logger } from 'pino'
import { DispatchError } from '../errors.js'

const run = promisify(execFile)

/** How the openfast child is started: a command prefix (`unshare -n -- prlimit … --`) and what it achieves. */
export interface Sandbox {
  readonly prefix: readonly string[]
  readonly networkIsolated: boolean
  readonly resourceLimits: boolean
}

export interface SandboxOptions {
  readonly network: 'isolate' | 'required' | 'off'
  readonly addressSpaceBytes: number
  readonly maxOpenFiles: number
  /** RLIMIT_FSIZE: no file the child writes may grow past this. */
  readonly fileSizeBytes: number
  /** RLIMIT_CPU: CPU seconds (the run timeout stops it earlier in wall time). */
  readonly cpuSeconds: number
}

async function works(command: string, args: string[]): Promise<boolean> {
  try {
    await run(command, args, { timeout: 10_000 })
    return true
  } catch {
    return false
  }
}

/**
 * Works out, once at start, how to give the openfast child least privilege on this host: a network namespace of its
 * own with only a loopback that is down (`unshare -n` as root; `unshare -rn` maps the user to root in a new user
 * namespace where unprivileged ones are allowed) and resource limits (`prlimit`: address space, file size, open files,
 * CPU time, no core dumps). Without `unshare` (e.g. the default seccomp profile of a container) the child shares the
 * network: `network: 'required'` then refuses to start.
 */
export async function detectSandbox(o: SandboxOptions, log: Logger): Promise<Sandbox> {
  const prefix: string[] = []
  let networkIsolated = false
  if (o.network !== 'off') {
    for (const args of [['-n'], ['-rn']]) {
      if (await works('unshare', [...args, 'true'])) {
        prefix.push('unshare', ...args, '--')
        networkIsolated = true
        break
      }
    }
    if (!networkIsolated) {
      if (o.network === 'required') {
        throw new DispatchError(
          'DISPATCH_CONFIG_INVALID',
          'openfast.sandbox.network is required but no network namespace can be created here (unshare -n / -rn failed)',
        )
      }
      log.warn('openfast runs share the network: no network namespace can be created here (unshare -n / -rn failed)')
    }
  }
  const resourceLimits = await works('prlimit', ['--version'])
  if (resourceLimits) {
    prefix.push(
      'prlimit',
      `--as=${o.addressSpaceBytes}`,
      `--fsize=${o.fileSizeBytes}`,
      `--nofile=${o.maxOpenFiles}`,
      `--cpu=${Math.ceil(o.cpuSeconds)}`,
      '--core=0',
      '--',
    )
  } else {
    log.warn('openfast runs without resource limits: prlimit (util-linux) is not installed')
  }
  return { prefix, networkIsolated, resourceLimits }
}

/**
 * Refuses an executable path that is not an executable file (DISPATCH_ENGINE_NOT_FOUND) before a wrapper starts it:
 * behind `unshare`/`prlimit` a missing program would otherwise be only a failed run. A bare name is looked up on PATH
 * by the wrapper, which exits 127 when it is not found.
 */
export async function checkExecutable(name: string): Promise<void> {
  if (!name.includes('/')) return
  const ok = await access(name, constants.X_OK).then(
    () => true,
    () => false,
  )
  if (!ok) throw new DispatchError('DISPATCH_ENGINE_NOT_FOUND', `openfast could not be started: ${name} is not an executable file`)
}

/** Exit status of `unshare`/`prlimit` (and shells) when the program they were to run cannot be found or executed. */
export const WRAPPER_EXEC_FAILED = [126, 127] as const
