import { readdirSync, readFileSync } from 'node:fs'
import type { SimulationOutput } from '@edgetwin/turbine-model'

/**
 * The steady OpenFAST v4.1.2 reference points of issue #21 (NREL 5-MW land-based deck, baseline controller,
 * means of the last 20 s of 120 s runs), read from the fixture `.out` snippets with a plain reader of their own,
 * independent of the model's parser.
 */
export interface OpenFastReference {
  file: string
  windSpeedMps: number
  rotorSpeedRpm: number
  generatorPowerKw: number
  bladePitchDeg: number
  rotorPowerKw: number
  rotorThrustKn: number
}

export const REFERENCE_DIR = new URL('../../turbine-model/data/openfast-reference/', import.meta.url)

/** Channel name → column of numbers, from a tab-separated OpenFAST text file. */
export function readOutColumns(text: string): Record<string, number[]> {
  const lines = text.split('\n')
  const at = lines.findIndex((l) => l.startsWith('Time\t'))
  const names = lines[at]!.split('\t')
  const rows = lines.slice(at + 2).filter((l) => l.trim() !== '')
  return Object.fromEntries(names.map((n, c) => [n, rows.map((r) => Number(r.split('\t')[c]))]))
}

const meanOf = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length

export function referenceFiles(): string[] {
  return readdirSync(REFERENCE_DIR)
    .filter((f) => f.endsWith('.out'))
    .sort()
    .map((f) => new URL(f, REFERENCE_DIR).pathname)
}

export function loadReferences(): OpenFastReference[] {
  return referenceFiles().map((file) => {
    const c = readOutColumns(readFileSync(file, 'utf8'))
    return {
      file,
      windSpeedMps: meanOf(c.Wind1VelX!),
      rotorSpeedRpm: meanOf(c.RotSpeed!),
      generatorPowerKw: meanOf(c.GenPwr!),
      bladePitchDeg: meanOf(c.BldPitch1!),
      rotorPowerKw: meanOf(c.RotPwr!),
      rotorThrustKn: meanOf(c.RotThrust!),
    }
  })
}

/** Means of the last `windowS` seconds of channels of a run, the way the OpenFAST figures were taken. */
export function tailMeans(columns: Record<string, number[]>, windowS = 20): Record<string, number> {
  const time = columns.Time!
  const end = time[time.length - 1]!
  const from = time.findIndex((t) => t >= end - windowS - 1e-9)
  return Object.fromEntries(Object.entries(columns).map(([name, v]) => [name, meanOf(v.slice(from))]))
}

/** The same means for a run of the model. */
export function outputTailMeans(output: SimulationOutput, windowS = 20): Record<string, number> {
  return tailMeans(Object.fromEntries(output.channels.map((name, i) => [name, Array.from(output.columns[i]!)])), windowS)
}
