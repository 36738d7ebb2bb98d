import { readFile, writeFile } from 'node:fs/promises'
import { validators } from '@edgetwin/shared-schemas'
import { formatOutFile, MODEL_VERSION, runSimulation, summarizeOutput } from '@edgetwin/turbine-model'
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
  out: string
  summary: boolean
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
    .requiredOption('--out <file>', 'output .out file')
    .option('--summary', 'print channel statistics and over-speed episodes as JSON', false)
    .action(async (opts: ModelRunOptions) => {
      // The parameters file crosses a boundary: validate it with the shared schema.
      const parameters = opts.params
        ? validators.ControllerParameterPatch.parse(JSON.parse(await readFile(opts.params, 'utf8')))
        : undefined
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
      })
      const wallMs = performance.now() - started
      const description = `wind ${opts.windSpeed} m/s, TI ${opts.turbulenceIntensity}, seed ${opts.seed}${parameters ? `, parameters ${JSON.stringify(parameters)}` : ''}`
      await writeFile(opts.out, formatOutFile(output, description, new Date()))
      process.stdout.write(
        `${MODEL_VERSION}: ${opts.tmax} s simulated in ${wallMs.toFixed(0)} ms (${Math.round((opts.tmax * 1000) / Math.max(wallMs, 1e-3))}x real time), ` +
          `${output.columns[0]!.length} rows -> ${opts.out}\n`,
      )
      if (opts.summary)
        process.stdout.write(
          `${JSON.stringify(summarizeOutput(output, { overspeedGeneratorRpm: parameters?.overspeedAlarmGeneratorSpeedRpm }), null, 2)}\n`,
        )
    })
}
