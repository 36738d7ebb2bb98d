import { createReadStream } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import type { SimulationEngineName, SimulationSummary } from '@edgetwin/shared-schemas'
import { countOverspeedEpisodes } from '@edgetwin/turbine-model'
import { DispatchError } from './errors.js'

/**
 * The main channels of a summary, by their OpenFAST names (ElastoDyn, ServoDyn, InflowWind). A file that has
 * none of them (an uploaded deck with a custom OutList) is summarised over all its channels.
 */
export const MAIN_CHANNELS = [
  'Wind1VelX',
  'RotSpeed',
  'GenSpeed',
  'GenPwr',
  'GenTq',
  'BldPitch1',
  'RotThrust',
  'RotTorq',
  'RootMyc1',
  'TwrBsMyt',
  'OverspeedAlarm',
] as const

export interface SummaryContext {
  readonly id: string
  readonly engine: SimulationEngineName
  readonly engineVersion: string
  /** Generator speed above which a sample counts as an over-speed exceedance (rpm). */
  readonly overspeedGeneratorRpm: number
}

/** Running mean, population standard deviation (Welford), min and max of one channel. */
class RunningStatistics {
  n = 0
  mean = 0
  m2 = 0
  min = Number.POSITIVE_INFINITY
  max = Number.NEGATIVE_INFINITY
  add(v: number): void {
    this.n++
    const d = v - this.mean
    this.mean += d / this.n
    this.m2 += d * (v - this.mean)
    if (v < this.min) this.min = v
    if (v > this.max) this.max = v
  }
  result() {
    return this.n === 0
      ? { mean: 0, max: 0, min: 0, std: 0 }
      : { mean: this.mean, max: this.max, min: this.min, std: Math.sqrt(this.m2 / this.n) }
  }
}

/** A Float64Array that grows by doubling (Time and GenSpeed, which the over-speed episode count needs whole). */
class Column {
  #data = new Float64Array(4096)
  length = 0
  push(v: number): void {
    if (this.length === this.#data.length) {
      const bigger = new Float64Array(this.#data.length * 2)
      bigger.set(this.#data)
      this.#data = bigger
    }
    this.#data[this.length++] = v
  }
  values(): Float64Array {
    return this.#data.subarray(0, this.length)
  }
}

const split = (line: string) => line.trim().split(/\s+/)

function malformed(message: string): DispatchError {
  return new DispatchError('DISPATCH_ENGINE_FAILED', `the .out file is malformed: ${message}`)
}

/**
 * One post-processor for both engines: reads the OpenFAST `.out` text line by line (memory bounded by the channel
 * count, not the file size, and the event loop free between chunks), writes `summary.json`. The statistics and the
 * over-speed episodes are those of `summarizeOutput` in `@edgetwin/turbine-model` (tested to agree).
 */
export async function summarizeOutFile(outFile: string, summaryFile: string, ctx: SummaryContext): Promise<SimulationSummary> {
  const lines = createInterface({ input: createReadStream(outFile, { encoding: 'latin1' }), crlfDelay: Number.POSITIVE_INFINITY })
  let channels: string[] | undefined
  let previous: string | undefined
  let unitsSeen = false
  let stats: RunningStatistics[] = []
  const time = new Column()
  const gen = new Column()
  let genIndex = -1
  let lineNo = 0
  for await (const line of lines) {
    lineNo++
    if (!channels) {
      // The channel row starts with Time and is followed by a row of parenthesised units.
      if (previous !== undefined && split(previous)[0] === 'Time' && line.trim().startsWith('(')) {
        channels = split(previous)
        if (split(line).length !== channels.length) throw malformed(`${channels.length} channel names but ${split(line).length} units`)
        stats = channels.map(() => new RunningStatistics())
        genIndex = channels.indexOf('GenSpeed')
        unitsSeen = true
      }
      previous = line
      continue
    }
    if (line.trim() === '') continue
    const tokens = split(line)
    if (tokens.length !== channels.length) throw malformed(`line ${lineNo}: expected ${channels.length} numbers, got ${tokens.length}`)
    for (let c = 0; c < tokens.length; c++) {
      const v = Number(tokens[c])
      if (Number.isNaN(v)) throw malformed(`line ${lineNo}: '${tokens[c]!.slice(0, 20)}' is not a number`)
      stats[c]!.add(v)
      if (c === 0) time.push(v)
      if (c === genIndex) gen.push(v)
    }
  }
  if (!channels || !unitsSeen) throw malformed('no channel row starting with Time followed by a units row')
  const all = channels.map((name, c) => [name, stats[c]!.result()] as const).filter(([name]) => name !== 'Time')
  const main = all.filter(([name]) => (MAIN_CHANNELS as readonly string[]).includes(name))
  const t = time.values()
  const summary: SimulationSummary = {
    id: ctx.id,
    engine: ctx.engine,
    engineVersion: ctx.engineVersion,
    durationS: t.length > 0 ? t[t.length - 1]! - t[0]! : 0,
    overspeedGeneratorRpm: ctx.overspeedGeneratorRpm,
    overspeedExceedances: genIndex >= 0 ? countOverspeedEpisodes(t, gen.values(), ctx.overspeedGeneratorRpm) : 0,
    channels: Object.fromEntries(main.length > 0 ? main : all),
  }
  await writeFile(summaryFile, `${JSON.stringify(summary, null, 2)}\n`)
  return summary
}
