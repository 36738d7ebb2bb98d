import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ExecuteRequest } from '@edgetwin/shared-schemas'
import { walkDeck } from '../deck/deck-walk.js'
import { DECK_ENCODING, readInputValue } from '../deck/input-file.js'
import { DispatchError } from '../errors.js'

/** Both engines write every value in 10 characters plus a tab (OpenFAST's OutFmt `ES10.3E2`; `formatOutFile`). */
export const BYTES_PER_VALUE = 11

/** What the size of a parametric run's `.out` depends on, per engine. */
export interface OutputShape {
  /** Columns, Time included. */
  readonly channels: number
  /** Output step when the request names none (s); undefined: one row per solver step (OpenFAST's `DT_Out "default"`). */
  readonly outputDtS?: number
  /** Solver step when the request names none (s). */
  readonly dtS: number
}

function outputStep(request: { dtS?: number; outputDtS?: number }, shape: OutputShape): number {
  const dtS = request.dtS ?? shape.dtS
  return Math.max(dtS, request.outputDtS ?? shape.outputDtS ?? dtS)
}

/** Rows × columns × bytes of the `.out` a parametric request implies (header lines excluded). */
export function estimateOutputBytes(request: ExecuteRequest, shape: OutputShape): number | undefined {
  if ('deckId' in request) return undefined
  const outputDtS = outputStep(request, shape)
  const rows = Math.floor(request.durationS / outputDtS) + 1
  return rows * shape.channels * BYTES_PER_VALUE
}

/** Refuses at submit time (DISPATCH_OUTPUT_TOO_LARGE) a request whose output would exceed `maxBytes`. */
export function checkOutputSize(request: ExecuteRequest, shape: OutputShape, maxBytes: number, stepName = 'outputDtS'): void {
  const bytes = estimateOutputBytes(request, shape)
  if (bytes === undefined || bytes <= maxBytes || 'deckId' in request) return
  const rowsAllowed = Math.floor(maxBytes / (shape.channels * BYTES_PER_VALUE))
  const minOutputDtS = request.durationS / Math.max(1, rowsAllowed - 1)
  throw new DispatchError(
    'DISPATCH_OUTPUT_TOO_LARGE',
    `durationS ${request.durationS} at an output step of ${outputStep(request, shape)} s implies a ` +
      `${Math.ceil(bytes / 1e6)} MB .out file (${shape.channels} channels), over limits.maxOutputBytes ${maxBytes}: ` +
      `use ${stepName} >= ${Number(minOutputDtS.toPrecision(3))} or a shorter durationS`,
  )
}

/** The channels a deck's OutLists name (quoted names, several to a line, until `END`), plus Time. */
async function outListChannels(file: string): Promise<number> {
  const lines = (await readFile(file, DECK_ENCODING)).split(/\r?\n/)
  const start = lines.findIndex((l) => /^\s*OutList\b/i.test(l))
  if (start < 0) return 0
  let count = 0
  for (const line of lines.slice(start + 1)) {
    if (/^\s*END\b/i.test(line)) break
    count += (line.split('!')[0]!.match(/"[^"]+"/g) ?? []).flatMap((q) =>
      q
        .slice(1, -1)
        .split(/[\s,]+/)
        .filter(Boolean),
    ).length
  }
  return count
}

/**
 * Refuses at submit time (DISPATCH_OUTPUT_TOO_LARGE) the run of an uploaded deck whose `.out` would exceed `maxBytes`:
 * its entry `.fst`'s `TMax` (or the request's `durationS`), `DT`, `DT_Out` and its modules' OutLists.
 */
export async function checkDeckOutputSize(deckDir: string, durationS: number | undefined, maxBytes: number): Promise<void> {
  const entry = (await readdir(deckDir)).find((n) => n.toLowerCase().endsWith('.fst'))
  if (!entry) throw new DispatchError('DISPATCH_DECK_INVALID', 'the deck has no .fst file')
  const shape = await templateOutputShape(deckDir, entry)
  const fst = await readFile(join(deckDir, entry), DECK_ENCODING)
  const tMaxS = durationS ?? Number(readInputValue(fst, 'TMax', 'openfast', entry))
  checkOutputSize({ engine: 'openfast', windSpeedMps: 0, durationS: tMaxS }, shape, maxBytes, `DT_Out in ${entry}`)
}

/** The output shape of a deck (the template or an upload): its modules' OutList channels, its DT and DT_Out. */
export async function templateOutputShape(deckDir: string, entryFile: string): Promise<OutputShape> {
  const fst = await readFile(join(deckDir, entryFile), DECK_ENCODING)
  const dtS = Number(readInputValue(fst, 'DT', 'openfast', entryFile))
  const dtOut = readInputValue(fst, 'DT_Out', 'openfast', entryFile).replace(/"/g, '')
  let channels = 1
  for (const file of Object.values((await walkDeck(deckDir, entryFile)).modules)) {
    if (file) channels += await outListChannels(file)
  }
  return { channels, dtS, ...(dtOut.toLowerCase() === 'default' ? {} : { outputDtS: Number(dtOut) }) }
}
