import { cp, readFile, writeFile } from 'node:fs/promises'
import type { SimulationRequest } from '@edgetwin/shared-schemas'
import { DispatchError } from '../errors.js'
import { resolveInside } from '../paths.js'
import { disconEdits } from './controller-mapping.js'
import { type DeckWalk, LIBRARY_FIELDS, walkDeck } from './deck-walk.js'
import { DECK_ENCODING, formatNumber, hasInputValue, quote, setInputValues } from './input-file.js'

/** Where a prepared deck is, and the root name OpenFAST derives its outputs from (`<RootName>.out`). */
export interface PreparedDeck {
  readonly deckDir: string
  readonly entryPath: string
  /** `entryPath` without `.fst`: OpenFAST writes `<rootName>.out`. */
  readonly rootName: string
}

async function editFile(path: string, edits: Record<string, string>, format: 'openfast' | 'discon', label: string): Promise<string> {
  const text = await readFile(path, DECK_ENCODING)
  const edited = setInputValues(text, edits, format, label)
  await writeFile(path, edited, DECK_ENCODING)
  return edited
}

/**
 * Checks an uploaded or template deck before anything runs: every file-name field stays inside `deckDir`, no unknown
 * module, no library loading (see `walkDeck`). Returns the module files the server edits.
 */
export async function checkDeckReferences(deckDir: string, entryFile: string): Promise<DeckWalk['modules']> {
  return (await walkDeck(deckDir, entryFile)).modules
}

interface CommonDeckOptions {
  readonly sourceDir: string
  readonly runDir: string
  readonly entryFile: string
  /** The controller library every run loads; an uploaded deck's own `DLL_FileName` is replaced by it. */
  readonly controllerLibraryPath: string
}

type DeckModules = DeckWalk['modules']

async function copyDeck(o: CommonDeckOptions): Promise<{ deckDir: string; entryPath: string; files: DeckModules }> {
  const deckDir = resolveInside(o.runDir, 'deck')
  await cp(o.sourceDir, deckDir, { recursive: true, errorOnExist: true, force: false, verbatimSymlinks: true })
  const files = await checkDeckReferences(deckDir, o.entryFile)
  return { deckDir, entryPath: resolveInside(deckDir, o.entryFile), files }
}

function prepared(deckDir: string, entryPath: string): PreparedDeck {
  return { deckDir, entryPath, rootName: entryPath.replace(/\.fst$/i, '') }
}

/**
 * Copies the template deck into the run folder and edits, by name: TMax (and DT, DT_Out), text output, steady
 * wind at the requested speed, initial rotor speed and pitch, the controller library and its parameter file.
 * Every other line stays byte-identical.
 */
export async function prepareParametricDeck(o: CommonDeckOptions & { readonly request: SimulationRequest }): Promise<PreparedDeck> {
  const r = o.request
  if ((r.turbulenceIntensity ?? 0) > 0) {
    // A turbulent OpenFAST run needs a TurbSim full-field file, which this server cannot generate.
    throw new DispatchError(
      'DISPATCH_INVALID_REQUEST',
      `turbulenceIntensity ${r.turbulenceIntensity} needs a TurbSim wind file with the openfast engine: upload a deck that includes one`,
    )
  }
  const { deckDir, entryPath, files } = await copyDeck(o)
  if (!files.inflowWind || !files.servoDyn) {
    throw new DispatchError('DISPATCH_DECK_INVALID', `${o.entryFile} must use InflowWind and ServoDyn for a parametric run`)
  }
  const fst: Record<string, string> = { TMax: formatNumber(r.durationS), OutFileFmt: '1' }
  if (r.dtS !== undefined) fst.DT = formatNumber(r.dtS)
  if (r.outputDtS !== undefined) fst.DT_Out = formatNumber(r.outputDtS)
  await editFile(entryPath, fst, 'openfast', o.entryFile)
  await editFile(files.inflowWind, { WindType: '1', HWindSpeed: formatNumber(r.windSpeedMps) }, 'openfast', 'InflowWind file')
  const ic = r.initialConditions ?? {}
  const ed: Record<string, string> = {}
  if (ic.rotorSpeedRpm !== undefined) ed.RotSpeed = formatNumber(ic.rotorSpeedRpm)
  if (ic.bladePitchDeg !== undefined) {
    for (const b of [1, 2, 3]) ed[`BlPitch(${b})`] = formatNumber(ic.bladePitchDeg)
  }
  if (Object.keys(ed).length > 0) await editFile(files.elastoDyn, ed, 'openfast', 'ElastoDyn file')
  await editServo(files, o.controllerLibraryPath)
  if (r.controllerParameters && files.controllerParameters) {
    const text = await readFile(files.controllerParameters, DECK_ENCODING)
    await editFile(files.controllerParameters, disconEdits(text, r.controllerParameters), 'discon', 'controller parameter file')
  }
  return prepared(deckDir, entryPath)
}

/**
 * The controller library is always the server's own: ServoDyn's `DLL_FileName` is replaced by it, and ROSCO's own
 * library door (`DLL_FileName` of DISCON.IN, used with Ext_Mode, which the walk refuses) is closed with `unused`.
 */
async function editServo(files: DeckModules, controllerLibraryPath: string): Promise<void> {
  if (!files.servoDyn) return
  const servo: Record<string, string> = { [LIBRARY_FIELDS.servoDyn]: quote(controllerLibraryPath) }
  if (files.controllerParameters) {
    servo.DLL_InFile = quote(files.controllerParameters)
    if (hasInputValue(await readFile(files.controllerParameters, DECK_ENCODING), LIBRARY_FIELDS.rosco, 'discon')) {
      await editFile(files.controllerParameters, { [LIBRARY_FIELDS.rosco]: '"unused"' }, 'discon', 'controller parameter file')
    }
  }
  await editFile(files.servoDyn, servo, 'openfast', 'ServoDyn file')
}

/** Copies an uploaded deck into the run folder; sets TMax if asked, text output, and the configured controller library. */
export async function prepareUploadedDeck(o: CommonDeckOptions & { readonly durationS?: number }): Promise<PreparedDeck> {
  const { deckDir, entryPath, files } = await copyDeck(o)
  const fst: Record<string, string> = { OutFileFmt: '1' }
  if (o.durationS !== undefined) fst.TMax = formatNumber(o.durationS)
  await editFile(entryPath, fst, 'openfast', o.entryFile)
  await editServo(files, o.controllerLibraryPath)
  return prepared(deckDir, entryPath)
}
