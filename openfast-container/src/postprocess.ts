import { readFile, writeFile } from 'node:fs/promises'
import type { SimulationEngineName, SimulationSummary } from '@edgetwin/shared-schemas'
import { parseOutFile, summarizeOutput } from '@edgetwin/turbine-model'

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

/** One post-processor for both engines: reads the OpenFAST `.out` text, writes `summary.json`. */
export async function summarizeOutFile(outFile: string, summaryFile: string, ctx: SummaryContext): Promise<SimulationSummary> {
  const output = parseOutFile(await readFile(outFile, 'utf8'))
  const stats = summarizeOutput(output, { overspeedGeneratorRpm: ctx.overspeedGeneratorRpm })
  const main = Object.entries(stats.channels).filter(([name]) => (MAIN_CHANNELS as readonly string[]).includes(name))
  const channels = Object.fromEntries(main.length > 0 ? main : Object.entries(stats.channels).filter(([name]) => name !== 'Time'))
  const summary: SimulationSummary = {
    id: ctx.id,
    engine: ctx.engine,
    engineVersion: ctx.engineVersion,
    durationS: stats.durationS,
    overspeedGeneratorRpm: ctx.overspeedGeneratorRpm,
    overspeedExceedances: stats.overspeedExceedances,
    channels,
  }
  await writeFile(summaryFile, `${JSON.stringify(summary, null, 2)}\n`)
  return summary
}
