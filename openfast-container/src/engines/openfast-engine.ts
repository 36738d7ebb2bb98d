import { spawn } from 'node:child_process'
import { copyFile, mkdir, stat } from 'node:fs/promises'
import type { SimulationRequest } from '@edgetwin/shared-schemas'
import { prepareParametricDeck, prepareUploadedDeck } from '../deck/prepare-deck.js'
import { DispatchError } from '../errors.js'
import { resolveInside } from '../paths.js'
import { type EngineResult, type EngineRun, RESULT_FILES, type SimulationEngine } from './engine.js'
import { parseOpenfastProgress } from './openfast-progress.js'
import { runProcess } from './process-runner.js'
import { checkExecutable, type Sandbox, WRAPPER_EXEC_FAILED } from './sandbox.js'

export interface OpenfastEngineOptions {
  /** Executable name on PATH or absolute path; started with an argument list, never through a shell. */
  readonly executable: string
  readonly version: string
  readonly templateDeckDir: string
  readonly entryFile: string
  readonly controllerLibraryPath: string
  readonly timeoutMs: number
  readonly killGraceMs: number
  /** A run whose `.out` grows past this is stopped (DISPATCH_OUTPUT_TOO_LARGE); default: no limit. */
  readonly maxOutputBytes?: number
  /** Least privilege (`detectSandbox`): the command prefix that isolates the network and sets resource limits. */
  readonly sandbox?: Sandbox
}

/** How often the size of a running OpenFAST's `.out` is checked. */
const OUTPUT_CHECK_INTERVAL_MS = 500

function outputLimit(outFile: string, maxBytes: number | undefined) {
  if (maxBytes === undefined) return undefined
  return {
    intervalMs: OUTPUT_CHECK_INTERVAL_MS,
    async check() {
      const size = (await stat(outFile).catch(() => undefined))?.size ?? 0
      return size > maxBytes
        ? new DispatchError(
            'DISPATCH_OUTPUT_TOO_LARGE',
            `openfast wrote more than limits.maxOutputBytes ${maxBytes} to its .out file and was stopped`,
          )
        : undefined
    },
  }
}

/** Runs the real `openfast` executable: one working folder per run, progress from its status lines. */
export function createOpenfastEngine(o: OpenfastEngineOptions): SimulationEngine {
  return {
    name: 'openfast',
    version: o.version,
    check(request) {
      if (!('deckId' in request) && (request.turbulenceIntensity ?? 0) > 0) {
        // A turbulent OpenFAST run needs a TurbSim full-field file, which this server cannot generate.
        throw new DispatchError(
          'DISPATCH_INVALID_REQUEST',
          `turbulenceIntensity ${request.turbulenceIntensity} needs a TurbSim wind file with the openfast engine: upload a deck that includes one, or use engine rotor-model`,
        )
      }
    },
    async run(job: EngineRun): Promise<EngineResult> {
      const common = { runDir: job.runDir, entryFile: o.entryFile, controllerLibraryPath: o.controllerLibraryPath }
      const deck =
        'deckId' in job.request
          ? await prepareUploadedDeck({ ...common, sourceDir: requireDeckDir(job), durationS: job.request.durationS })
          : await prepareParametricDeck({ ...common, sourceDir: o.templateDeckDir, request: job.request as SimulationRequest })
      const resultsDir = resolveInside(job.runDir, 'results')
      await mkdir(resultsDir, { recursive: true })
      // Status lines can be split across chunks; keep a short rolling window to parse.
      let window = ''
      const [command, ...args] = [...(o.sandbox?.prefix ?? []), o.executable, deck.entryPath]
      if (o.sandbox && o.sandbox.prefix.length > 0) await checkExecutable(o.executable)
      await runProcess({
        label: 'openfast',
        // Its own working folder (the run's deck), no shell, its own process group, and the sandbox's prefix.
        start: () =>
          spawn(command!, args, {
            cwd: deck.deckDir,
            shell: false,
            detached: true,
            stdio: ['ignore', 'pipe', 'pipe'],
          }),
        timeoutMs: o.timeoutMs,
        killGraceMs: o.killGraceMs,
        signal: job.signal,
        monitor: outputLimit(`${deck.rootName}.out`, o.maxOutputBytes),
        ...(o.sandbox && o.sandbox.prefix.length > 0 ? { notFoundExitCodes: WRAPPER_EXEC_FAILED } : {}),
        logFile: resolveInside(resultsDir, RESULT_FILES.log),
        onOutput: (text) => {
          window = (window + text).slice(-512)
          const fraction = parseOpenfastProgress(window)
          if (fraction !== undefined) job.onProgress(fraction)
        },
      })
      const outFile = resolveInside(resultsDir, RESULT_FILES.out)
      try {
        await copyFile(`${deck.rootName}.out`, outFile)
      } catch (err) {
        throw new DispatchError('DISPATCH_ENGINE_FAILED', `openfast exited normally but wrote no ${deck.rootName}.out`, { cause: err })
      }
      return { outFile }
    },
  }
}

function requireDeckDir(job: EngineRun): string {
  if (!job.deckDir) throw new DispatchError('DISPATCH_INVALID_REQUEST', `run ${job.id} names a deck but no deck folder was given`)
  return job.deckDir
}
