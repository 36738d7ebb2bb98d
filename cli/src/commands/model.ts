import { readFile, writeFile } from 'node:fs/promises'
import { basename } from 'node:path'
import { validators } from '@edgetwin/shared-schemas'
import {
  calibrateFromOutFiles,
  DEFAULT_CALIBRATION,
  formatOutFile,
  MODEL_VERSION,
  type ModelCalibration,
  ModelError,
  parseCalibration,
  runSimulation,
  summarizeOutput,
} from '@edgetwin/turbine-model'
import { type Command, InvalidArgumentError } from 'commander'
import { parsePositiveNumber } from '../options.js'

function parseNonNegative(value: string): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`must be a non-negative number, got '${value}'`)
  return n
}

function parseSeed(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 2 ** 31 - 1) throw new InvalidArgumentError(`must be an integer 0-2147483647, got '${value}'`)
  return n
}

interface ModelRunOptions {
  windSpeed: number
  turbulenceIntensity: number
  seed: number
  tmax: number
  dt: number
  outputDt: number
  params?: string
  cpScale: number
  calibration?: string
  peakShaving: boolean
  out: string
  summary: boolean
}

interface ModelCalibrateOptions {
  outFiles?: string[]
  dispatchUrl?: string
  simulations?: string[]
  tokenEnv: string
  out: string
  windowS: number
  description?: string
}

/**
 * The `.out` files of completed simulations on a dispatch server (`GET /simulations/:id/results/simulation.out`,
 * bearer token from the environment variable `tokenEnv`), named `<id>.out`.
 */
async function fetchSimulationOutFiles(
  baseUrl: string,
  ids: readonly string[],
  token: string | undefined,
): Promise<{ name: string; text: string }[]> {
  return Promise.all(
    ids.map(async (id) => {
      const url = new URL(`simulations/${encodeURIComponent(id)}/results/simulation.out`, baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`)
      const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} })
      const text = await res.text()
      if (!res.ok) {
        throw new ModelError(
          'MODEL_CALIBRATION_DATA',
          `simulation ${id}: GET ${url.pathname} answered ${res.status}: ${text.slice(0, 200).replace(/\s+/g, ' ')}`,
        )
      }
      return { name: `${id}.out`, text }
    }),
  )
}

/** Reads and validates a calibration file written by `edgetwin model calibrate`. */
export async function readCalibrationFile(path: string): Promise<ModelCalibration> {
  const text = await readFile(path, 'utf8')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new ModelError('MODEL_INVALID_CALIBRATION', `${path}: not a JSON calibration file (${(err as Error).message})`, { cause: err })
  }
  return parseCalibration(value, path)
}

/** One line per operating point: what the fit saw and how far the fitted model is from it. */
function formatFitTable(c: ModelCalibration): string {
  const head = `${'file'.padEnd(34)} ${'wind m/s'.padStart(8)} ${'rpm'.padStart(8)} ${'pitch °'.padStart(8)} ${'TSR'.padStart(6)} ${'Cp'.padStart(7)} ${'Cp err %'.padStart(9)} ${'thrust err %'.padStart(13)}`
  const rows = c.fit.points.map(
    (p) =>
      `${p.source.slice(-34).padEnd(34)} ${p.windSpeedMps.toFixed(2).padStart(8)} ${p.rotorSpeedRpm.toFixed(3).padStart(8)} ${p.bladePitchDeg.toFixed(2).padStart(8)} ` +
      `${p.tipSpeedRatio.toFixed(3).padStart(6)} ${p.powerCoefficient.toFixed(4).padStart(7)} ${p.powerCoefficientErrorPercent.toFixed(2).padStart(9)} ` +
      `${(p.thrustErrorPercent === undefined ? '-' : p.thrustErrorPercent.toFixed(2)).padStart(13)}`,
  )
  return [head, ...rows].join('\n')
}

/** `edgetwin model run`: the reduced-order NREL 5-MW model from the command line, writing an OpenFAST `.out` file. */
export function registerModelCommands(program: Command): void {
  const model = program.command('model').description(`the reduced-order NREL 5-MW turbine model (${MODEL_VERSION})`)
  model
    .command('run')
    .description('run the model and write OpenFAST text output (.out)')
    .requiredOption('--wind-speed <mps>', 'mean hub-height wind speed (m/s)', parseNonNegative)
    .option('--turbulence-intensity <ti>', 'longitudinal turbulence intensity, 0 = steady (-)', parseNonNegative, 0)
    .option('--seed <n>', 'turbulence seed', parseSeed, 1)
    .requiredOption('--tmax <s>', 'simulated time (s)', parsePositiveNumber)
    .option('--dt <s>', 'integration step (s)', parsePositiveNumber, 0.01)
    .option('--output-dt <s>', 'output step (s)', parsePositiveNumber, 0.05)
    .option('--params <file>', 'JSON file of controller parameters to change (ControllerParameterPatch)')
    .option('--cp-scale <factor>', 'fault injection: scale Cp (blade erosion), 1 = clean', parsePositiveNumber, 1)
    .option('--calibration <file>', `calibration file from 'model calibrate' (default: built-in ${DEFAULT_CALIBRATION.id})`)
    .option('--peak-shaving', "ROSCO-like option: ROSCO's NREL 5-MW minimum-pitch schedule on top of the baseline controller", false)
    .requiredOption('--out <file>', 'output .out file')
    .option('--summary', 'print channel statistics and over-speed episodes as JSON', false)
    .action(async (opts: ModelRunOptions) => {
      // The parameters file crosses a boundary: validate it with the shared schema.
      const parameters = opts.params
        ? validators.ControllerParameterPatch.parse(JSON.parse(await readFile(opts.params, 'utf8')))
        : undefined
      const calibration = opts.calibration ? await readCalibrationFile(opts.calibration) : undefined
      const started = performance.now()
      const output = runSimulation({
        windSpeedMps: opts.windSpeed,
        turbulenceIntensity: opts.turbulenceIntensity,
        seed: opts.seed,
        durationS: opts.tmax,
        dtS: opts.dt,
        outputDtS: opts.outputDt,
        parameters,
        faults: { cpScale: opts.cpScale },
        calibration,
        peakShaving: opts.peakShaving,
      })
      const wallMs = performance.now() - started
      const description = `wind ${opts.windSpeed} m/s, TI ${opts.turbulenceIntensity}, seed ${opts.seed}${opts.peakShaving ? ', ROSCO-like peak shaving' : ''}${parameters ? `, parameters ${JSON.stringify(parameters)}` : ''}`
      await writeFile(opts.out, formatOutFile(output, description, new Date()))
      process.stdout.write(
        `${MODEL_VERSION}: ${opts.tmax} s simulated in ${wallMs.toFixed(0)} ms (${Math.round((opts.tmax * 1000) / Math.max(wallMs, 1e-3))}x real time), ` +
          `${output.columns[0]!.length} rows, calibration ${output.calibrationId} -> ${opts.out}\n`,
      )
      if (opts.summary)
        process.stdout.write(
          `${JSON.stringify(summarizeOutput(output, { overspeedGeneratorRpm: parameters?.overspeedAlarmGeneratorSpeedRpm }), null, 2)}\n`,
        )
    })
  model
    .command('calibrate')
    .description("fit the model's aerodynamic correction to OpenFAST .out files of steady-wind runs; write a calibration file")
    .option('--out-files <files...>', 'OpenFAST text output (.out) of steady-wind runs, one operating point each')
    .option('--dispatch-url <url>', 'a dispatch server whose completed simulations (--simulations) to calibrate from')
    .option('--simulations <ids...>', 'ids of completed steady-wind simulations on the dispatch server')
    .option('--token-env <name>', 'environment variable holding the dispatch bearer token', 'EDGETWIN_DISPATCH_TOKEN')
    .requiredOption('--out <file>', 'calibration file to write (JSON)')
    .option('--window-s <s>', 'averaging window at the end of each run (s)', parsePositiveNumber, 20)
    .option('--description <text>', 'what the runs were (deck, OpenFAST version, controller)')
    .action(async (opts: ModelCalibrateOptions) => {
      if (!opts.outFiles?.length && !opts.simulations?.length) {
        throw new InvalidArgumentError('give --out-files, or --dispatch-url with --simulations (or both)')
      }
      if (opts.simulations?.length && !opts.dispatchUrl) throw new InvalidArgumentError('--simulations needs --dispatch-url')
      const files = await Promise.all(
        (opts.outFiles ?? []).map(async (path) => ({ name: basename(path), text: await readFile(path, 'utf8') })),
      )
      if (opts.simulations?.length && opts.dispatchUrl) {
        // The composition root reads the token from the environment variable the user named.
        files.push(...(await fetchSimulationOutFiles(opts.dispatchUrl, opts.simulations, process.env[opts.tokenEnv])))
      }
      const calibration = calibrateFromOutFiles(files, { windowS: opts.windowS, description: opts.description })
      await writeFile(opts.out, `${JSON.stringify(calibration, null, 2)}\n`)
      const c = calibration.correction
      process.stdout.write(
        `${formatFitTable(calibration)}\n` +
          `calibration ${calibration.id}: cpFactor ${c.cpFactor.toFixed(4)}, pitchOffsetDeg ${c.pitchOffsetDeg.toFixed(3)}` +
          `${calibration.fit.pitchOffsetFitted ? '' : ' (not fitted: the runs span too little pitch)'}, ctFactor ${c.ctFactor.toFixed(4)}` +
          `${calibration.fit.ctFactorFitted ? '' : ' (not fitted: no RotThrust channel)'} -> ${opts.out}\n`,
      )
    })
}
