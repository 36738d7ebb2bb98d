import { cp, readFile, writeFile } from 'node:fs/promises'
import { dirname, relative, resolve } from 'node:path'
import type { SimulationRequest } from '@edgetwin/shared-schemas'
import { DispatchError } from '../errors.js'
import { resolveInside } from '../paths.js'
import { disconEdits } from './controller-mapping.js'
import { DECK_ENCODING, formatNumber, quote, readInputValue, setInputValues, unquote } from './input-file.js'

/** Where a prepared deck is, and the root name OpenFAST derives its outputs from (`<RootName>.out`). */
export interface PreparedDeck {
  readonly deckDir: string
  readonly entryPath: string
  /** `entryPath` without `.fst`: OpenFAST writes `<rootName>.out`. */
  readonly rootName: string
}

/** The files the entry `.fst` names, by field: every one must stay inside the deck folder. */
const FST_FILE_FIELDS = ['EDFile', 'InflowFile', 'AeroFile', 'ServoFile'] as const

async function editFile(path: string, edits: Record<string, string>, format: 'openfast' | 'discon', label: string): Promise<string> {
  const text = await readFile(path, DECK_ENCODING)
  const edited = setInputValues(text, edits, format, label)
  await writeFile(path, edited, DECK_ENCODING)
  return edited
}

/** A file named by `field` in `file`, resolved relative to that file's folder and proven to stay in the deck. */
async function referencedFile(deckDir: string, file: string, field: string, label: string): Promise<string | undefined> {
  const value = unquote(readInputValue(await readFile(file, DECK_ENCODING), field, 'openfast', label))
  if (value.toLowerCase() === 'unused') return undefined
  // OpenFAST resolves a relative name from the folder of the file that names it.
  return resolveInside(deckDir, relative(deckDir, resolve(dirname(file), value)))
}

/**
 * Checks that the entry file and every input file it, ElastoDyn and ServoDyn name are inside `deckDir`
 * (OpenFAST would otherwise read whatever path an uploaded deck names). Returns the module file paths.
 */
export async function checkDeckReferences(deckDir: string, entryFile: string): Promise<Record<string, string | undefined>> {
  const entryPath = resolveInside(deckDir, entryFile)
  const files: Record<string, string | undefined> = {}
  for (const field of FST_FILE_FIELDS) files[field] = await referencedFile(deckDir, entryPath, field, entryFile)
  if (!files.EDFile || !files.InflowFile || !files.ServoFile) {
    throw new DispatchError('DISPATCH_DECK_INVALID', `${entryFile} must name an ElastoDyn, an InflowWind and a ServoDyn file`)
  }
  files.DLL_InFile = await referencedFile(deckDir, files.ServoFile, 'DLL_InFile', 'ServoDyn file')
  for (const field of ['BldFile(1)', 'TwrFile']) await referencedFile(deckDir, files.EDFile, field, 'ElastoDyn file')
  return files
}

interface CommonDeckOptions {
  readonly sourceDir: string
  readonly runDir: string
  readonly entryFile: string
  /** The controller library every run loads; an uploaded deck's own `DLL_FileName` is replaced by it. */
  readonly controllerLibraryPath: string
}

async function copyDeck(o: CommonDeckOptions): Promise<{ deckDir: string; entryPath: string; files: Record<string, string | undefined> }> {
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
  const fst: Record<string, string> = { TMax: formatNumber(r.durationS), OutFileFmt: '1' }
  if (r.dtS !== undefined) fst.DT = formatNumber(r.dtS)
  if (r.outputDtS !== undefined) fst.DT_Out = formatNumber(r.outputDtS)
  await editFile(entryPath, fst, 'openfast', o.entryFile)
  await editFile(files.InflowFile!, { WindType: '1', HWindSpeed: formatNumber(r.windSpeedMps) }, 'openfast', 'InflowWind file')
  const ic = r.initialConditions ?? {}
  const ed: Record<string, string> = {}
  if (ic.rotorSpeedRpm !== undefined) ed.RotSpeed = formatNumber(ic.rotorSpeedRpm)
  if (ic.bladePitchDeg !== undefined) {
    for (const b of [1, 2, 3]) ed[`BlPitch(${b})`] = formatNumber(ic.bladePitchDeg)
  }
  if (Object.keys(ed).length > 0) await editFile(files.EDFile!, ed, 'openfast', 'ElastoDyn file')
  await editServo(files, o.controllerLibraryPath)
  if (r.controllerParameters && files.DLL_InFile) {
    const text = await readFile(files.DLL_InFile, DECK_ENCODING)
    await editFile(files.DLL_InFile, disconEdits(text, r.controllerParameters), 'discon', 'controller parameter file')
  }
  return prepared(deckDir, entryPath)
}

async function editServo(files: Record<string, string | undefined>, controllerLibraryPath: string): Promise<void> {
  const servo: Record<string, string> = { DLL_FileName: quote(controllerLibraryPath) }
  if (files.DLL_InFile) servo.DLL_InFile = quote(files.DLL_InFile)
  await editFile(files.ServoFile!, servo, 'openfast', 'ServoDyn file')
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
