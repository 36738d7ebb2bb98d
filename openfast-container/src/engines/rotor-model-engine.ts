import { fork } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { CONTROLLER_PARAMETER_DEFAULTS, type SimulationRequest } from '@edgetwin/shared-schemas'
import { DEFAULT_CALIBRATION, MODEL_VERSION, type ModelCalibration, parseCalibration } from '@edgetwin/turbine-model'
import { DispatchError } from '../errors.js'
import { resolveInside } from '../paths.js'
import { type EngineResult, type EngineRun, RESULT_FILES, type SimulationEngine } from './engine.js'
import { runProcess } from './process-runner.js'
import type { RotorModelJob } from './rotor-model-child.js'

export interface RotorModelEngineOptions {
  readonly outputDtS: number
  readonly timeoutMs: number
  readonly killGraceMs: number
  /**
   * The model's aerodynamic correction (a file of `edgetwin model calibrate`, parsed with `parseCalibration`);
   * default: the model's built-in DEFAULT_CALIBRATION. Its id is in the engine version and every `.out` header.
   */
  readonly calibration?: Pick<ModelCalibration, 'id' | 'correction'>
  /** Config `rotorModel.calibrationFile`: read and validated once, when the engine is created (`calibration` wins). */
  readonly calibrationFile?: string
}

/** The calibration file named in the config, or a DISPATCH_CONFIG_INVALID error naming the file and the fault. */
function readCalibrationFile(path: string): ModelCalibration {
  try {
    return parseCalibration(JSON.parse(readFileSync(path, 'utf8')), path)
  } catch (err) {
    throw new DispatchError('DISPATCH_CONFIG_INVALID', `rotorModel.calibrationFile: ${(err as Error).message}`, { cause: err })
  }
}

/**
 * How to start the child: from the TypeScript sources (tests, `npm run edgetwin`) through tsx with the workspace
 * source condition; from the build with plain node.
 */
function childEntry(): { modulePath: string; execArgv: string[] } {
  const fromSource = import.meta.url.endsWith('.ts')
  const modulePath = fileURLToPath(new URL(`./rotor-model-child.${fromSource ? 'ts' : 'js'}`, import.meta.url))
  return { modulePath, execArgv: fromSource ? ['--conditions=@edgetwin/source', '--import', 'tsx'] : [] }
}

/** The reduced-order NREL 5-MW rotor model of `@edgetwin/turbine-model`, one child process per run. */
export function createRotorModelEngine(o: RotorModelEngineOptions): SimulationEngine {
  const calibration = o.calibration ?? (o.calibrationFile ? readCalibrationFile(o.calibrationFile) : DEFAULT_CALIBRATION)
  return {
    name: 'rotor-model',
    version: `${MODEL_VERSION} calibration ${calibration.id}`,
    async run(job: EngineRun): Promise<EngineResult> {
      if ('deckId' in job.request) {
        throw new DispatchError(
          'DISPATCH_INVALID_REQUEST',
          'the rotor-model engine runs parametric requests only; deck runs need engine openfast',
        )
      }
      const r = job.request as SimulationRequest
      const resultsDir = resolveInside(job.runDir, 'results')
      await mkdir(resultsDir, { recursive: true })
      const outFile = resolveInside(resultsDir, RESULT_FILES.out)
      const childJob: RotorModelJob = {
        options: {
          windSpeedMps: r.windSpeedMps,
          turbulenceIntensity: r.turbulenceIntensity,
          seed: r.seed,
          durationS: r.durationS,
          dtS: r.dtS,
          outputDtS: r.outputDtS ?? o.outputDtS,
          parameters: { ...CONTROLLER_PARAMETER_DEFAULTS, ...r.controllerParameters },
          initialConditions: r.initialConditions,
          calibration: { id: calibration.id, correction: calibration.correction },
        },
        outFile,
        description: `edgetwin rotor-model ${MODEL_VERSION}, simulation ${job.id}${r.label ? `: ${r.label}` : ''}`,
      }
      const { modulePath, execArgv } = childEntry()
      await runProcess({
        label: 'rotor-model',
        start: () => {
          const child = fork(modulePath, [], { execArgv, detached: true, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json' })
          child.on('message', (m: { type?: string; fraction?: number }) => {
            if (m.type === 'progress' && typeof m.fraction === 'number') job.onProgress(m.fraction)
          })
          child.send(childJob)
          return child
        },
        timeoutMs: o.timeoutMs,
        killGraceMs: o.killGraceMs,
        signal: job.signal,
        logFile: resolveInside(resultsDir, RESULT_FILES.log),
      })
      return { outFile }
    },
  }
}
