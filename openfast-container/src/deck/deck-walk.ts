import { readFile, stat } from 'node:fs/promises'
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path'
import { DispatchError } from '../errors.js'
import { DECK_ENCODING, hasInputValue, type InputFileFormat, readInputValue, unquote } from './input-file.js'
import { checkPositionalLayout, referenceLayout, requireSingleValue, roscoValue } from './reader-semantics.js'

/**
 * Every file-name field of every OpenFAST v4.1 and ROSCO v2.10 input file the server knows, learnt from their readers
 * (FAST_Subs.f90 ReadInputFile, ElastoDyn_IO.f90 ReadPrimaryFile, AeroDyn_IO.f90 ParsePrimaryFileInfo, AirfoilInfo.f90,
 * InflowWind_Subs.f90, ServoDyn_IO.f90, NWTC_IO.f90 ScanComFile (`@file` includes), ROSCO ReadSetParameters.f90
 * ReadControlParameterFileSub). Each module resolves a relative name from the folder of the file that names it
 * (`PathIsRelative` → `PriPath`). Modules whose files the server does not know are refused, not passed through.
 */
export type DeckFileKind =
  | 'fst'
  | 'elastodyn'
  | 'elastodyn-blade'
  | 'elastodyn-tower'
  | 'elastodyn-furl'
  | 'inflowwind'
  | 'wind-data'
  | 'aerodyn'
  | 'aerodyn-blade'
  | 'aerodyn-tailfin'
  | 'airfoil'
  | 'airfoil-boundary-layer'
  | 'include'
  | 'servodyn'
  | 'controller-parameters'
  | 'rotor-performance'
  | 'open-loop-data'

/** One file an input file names. */
export interface DeckReference {
  /** Deck-relative path of the file that names it. */
  readonly from: string
  readonly field: string
  readonly kind: DeckFileKind
  /** Deck-relative path it resolves to. */
  readonly path: string
  /** Whether OpenFAST or ROSCO opens it with the deck's switches (a name in an unused field need not exist). */
  readonly needed: boolean
}

export interface DeckWalk {
  readonly references: readonly DeckReference[]
  /** Absolute paths of the module files the server edits. */
  readonly modules: {
    readonly elastoDyn: string
    readonly inflowWind?: string
    readonly aeroDyn?: string
    readonly servoDyn?: string
    readonly controllerParameters?: string
  }
}

/** Fields that name a library to load: never a deck file; the server forces them (ServoDyn) or refuses their use (ROSCO). */
export const LIBRARY_FIELDS = { servoDyn: 'DLL_FileName', rosco: 'DLL_FileName' } as const

const SAFE_NAME = /^[A-Za-z0-9._/-]+$/

/** The file an `@file` or `@<lines> IN file` include line names (NWTC_IO ScanComFile / ParseInclInfo), if it is one. */
function includeTarget(line: string): string | undefined {
  const m = /^\s*@(.*?)\r?$/.exec(line)
  if (!m) return undefined
  const inPart = /^\s*[0-9\s,-]*\bIN\s+(.*)$/i.exec(m[1]!)
  const target = (inPart ? inPart[1]! : m[1]!).trim()
  return target.startsWith('"') ? target.slice(1, target.indexOf('"', 1)) : target.split(/\s+/)[0]
}

function invalid(message: string): DispatchError {
  return new DispatchError('DISPATCH_DECK_INVALID', message)
}

class Walker {
  readonly references: DeckReference[] = []
  readonly #texts = new Map<string, string>()
  readonly #included = new Set<string>()
  readonly #positional = new Set<string>()

  constructor(readonly deckDir: string) {}

  rel(abs: string): string {
    return relative(this.deckDir, abs)
  }

  async text(abs: string): Promise<string> {
    let t = this.#texts.get(abs)
    if (t === undefined) {
      t = await readFile(abs, DECK_ENCODING).catch((err: NodeJS.ErrnoException) => {
        throw invalid(`${this.rel(abs)} cannot be read (${err.code ?? err.message}): the deck must contain it`)
      })
      this.#texts.set(abs, t)
    }
    return t
  }

  /** The value OpenFAST (one line per name) or ROSCO (its FindLine) will read; see reader-semantics.ts. */
  async value(abs: string, field: string, format: InputFileFormat = 'openfast'): Promise<string> {
    if (format === 'discon') return roscoValue(await this.text(abs), field, this.rel(abs))
    // ReadVar files (positional) take no includes; ParseVar files see the included lines as their own.
    const text = this.#positional.has(abs) ? await this.text(abs) : await this.expanded(abs)
    requireSingleValue(text, field, this.rel(abs))
    return unquote(readInputValue(text, field, format, this.rel(abs)))
  }

  /** A file OpenFAST reads by position must keep the reference layout up to the last value the server reads. */
  async positional(abs: string, layout: readonly (string | undefined)[], lastName: string): Promise<void> {
    this.#positional.add(abs)
    checkPositionalLayout(await this.text(abs), layout, lastName, this.rel(abs))
  }

  async number(abs: string, field: string, format: InputFileFormat = 'openfast'): Promise<number> {
    const raw = (await this.value(abs, field, format)).trim().split(/[\s,]+/)[0]
    const n = Number(raw)
    if (!Number.isFinite(n)) throw invalid(`${this.rel(abs)}: ${field} must be a number, got ${JSON.stringify(raw)}`)
    return n
  }

  async flag(abs: string, field: string): Promise<boolean> {
    const v = (await this.value(abs, field)).trim().toLowerCase()
    if (['true', 't'].includes(v)) return true
    if (['false', 'f'].includes(v)) return false
    throw invalid(`${this.rel(abs)}: ${field} must be True or False, got ${JSON.stringify(v)}`)
  }

  /** Refuses a switch value the server does not support (a module it does not know). */
  async requireSwitch(abs: string, field: string, allowed: readonly number[], why: string, format: InputFileFormat = 'openfast') {
    const v = await this.number(abs, field, format)
    if (!allowed.includes(v)) {
      throw invalid(`${this.rel(abs)}: ${field} = ${v} is not allowed (allowed: ${allowed.join(', ')}): ${why}`)
    }
    return v
  }

  /**
   * Resolves a file name as OpenFAST does (relative to the naming file's folder) and proves it stays in the deck:
   * absolute paths, `..` escapes, backslashes, drive letters and NUL are refused whether or not the field is used.
   * Returns undefined for `unused` / empty names.
   */
  reference(from: string, field: string, raw: string, kind: DeckFileKind, needed: boolean): string | undefined {
    const name = raw.trim()
    if (name === '' || name.toLowerCase() === 'unused') {
      if (needed) throw invalid(`${this.rel(from)}: ${field} must name a file of the deck, got ${JSON.stringify(raw)}`)
      return undefined
    }
    const shown = `${this.rel(from)}: ${field} = ${JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name)}`
    if (isAbsolute(name)) {
      throw new DispatchError('DISPATCH_UNSAFE_PATH', `${shown} is not allowed: name a file inside the deck by a relative path`)
    }
    // Readers cut words at blanks, commas, semicolons and quotes (and Fortran list-directed input at '/'): a name of
    // other characters could be read as a different path than the one checked here. Deck file names never need them.
    if (!SAFE_NAME.test(name)) {
      throw new DispatchError('DISPATCH_UNSAFE_PATH', `${shown} is not allowed: use only [A-Za-z0-9._/-] in file names`)
    }
    const abs = resolve(dirname(from), name)
    const rel = relative(this.deckDir, abs)
    if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
      throw new DispatchError('DISPATCH_UNSAFE_PATH', `${shown} resolves outside the deck: name a file inside the deck`)
    }
    this.references.push({ from: this.rel(from), field, kind, path: rel, needed })
    return abs
  }

  async field(from: string, field: string, kind: DeckFileKind, needed: boolean, format: InputFileFormat = 'openfast') {
    return this.reference(from, field, await this.value(from, field, format), kind, needed)
  }

  /** `@file` and `@<lines> IN file` include lines (NWTC_IO ScanComFile / ParseInclInfo), in any OpenFAST text file. */
  async includes(abs: string): Promise<void> {
    if (this.#included.has(abs)) return
    this.#included.add(abs)
    for (const line of (await this.text(abs)).split('\n')) {
      const name = includeTarget(line)
      if (name === undefined) continue
      const included = this.reference(abs, '@include', name, 'include', true)
      if (included) await this.includes(included)
    }
  }

  /** The text OpenFAST's ProcessComFile sees: `@` include lines replaced by the included files (recursively). */
  async expanded(abs: string, within: readonly string[] = []): Promise<string> {
    const text = await this.text(abs)
    if (!text.includes('@')) return text
    const out: string[] = []
    for (const line of text.split('\n')) {
      const name = includeTarget(line)
      if (name === undefined) {
        out.push(line)
        continue
      }
      const included = this.reference(abs, '@include', name, 'include', true)
      if (!included) continue
      if (within.includes(included)) throw invalid(`${this.rel(abs)} includes ${this.rel(included)} in a cycle`)
      out.push(await this.expanded(included, [...within, abs]))
    }
    return out.join('\n')
  }
}

async function walkElastoDyn(w: Walker, ed: string): Promise<void> {
  await w.positional(ed, referenceLayout().elastodyn, 'TwrFile')
  await w.includes(ed)
  const numBl = await w.number(ed, 'NumBl')
  for (let b = 1; b <= 3; b++) {
    const blade = await w.field(ed, `BldFile(${b})`, 'elastodyn-blade', b <= numBl)
    if (blade && b <= numBl) await w.includes(blade)
  }
  const tower = await w.field(ed, 'TwrFile', 'elastodyn-tower', true)
  if (tower) await w.includes(tower)
  await w.field(ed, 'FurlFile', 'elastodyn-furl', await w.flag(ed, 'Furling'))
}

async function walkInflowWind(w: Walker, iw: string): Promise<void> {
  await w.includes(iw)
  // 6 (user-defined), 7 (native Bladed: an intermediate file naming others), 8-9 (external) are not known here.
  const windType = await w.requireSwitch(iw, 'WindType', [1, 2, 3, 4, 5], 'steady, uniform, TurbSim, Bladed or HAWC wind only')
  await w.field(iw, 'FileName_Uni', 'wind-data', windType === 2)
  await w.field(iw, 'FileName_BTS', 'wind-data', windType === 3)
  // WindType 4: a root name; OpenFAST opens <root>.wnd, <root>.sum (and <root>.twr) beside it.
  await w.field(iw, 'FileNameRoot', 'wind-data', false)
  for (const c of ['u', 'v', 'w']) await w.field(iw, `FileName_${c}`, 'wind-data', windType === 5)
}

/** AFNames: the first name is on the `AFNames` line, the other NumAFfiles-1 follow on lines of their own. */
async function airfoilNames(w: Walker, ad: string): Promise<string[]> {
  const count = await w.number(ad, 'NumAFfiles')
  const lines = (await w.expanded(ad)).split('\n')
  const first = lines.findIndex((l) => /^\s*("[^"]*"|\S+)\s+AFNames(\s|$)/i.test(l))
  if (first < 0) throw invalid(`${w.rel(ad)} has no AFNames line`)
  if (!Number.isInteger(count) || count < 1 || first + count > lines.length) {
    throw invalid(`${w.rel(ad)}: NumAFfiles = ${count} does not match the AFNames lines that follow`)
  }
  return lines.slice(first, first + count).map((l) => unquote(/^\s*("[^"]*"|\S+)/.exec(l)?.[1] ?? ''))
}

async function walkAeroDyn(w: Walker, ad: string): Promise<void> {
  await w.includes(ad)
  if (await w.flag(ad, 'CompAA'))
    throw invalid(`${w.rel(ad)}: CompAA = True is not allowed (allowed: False): aeroacoustics is not supported`)
  await w.field(ad, 'AA_InputFile', 'aerodyn', false)
  // AeroDyn v4 reads `Wake_Mod`, and the older `WakeMod` (same values) when a file has only that.
  const wakeField = hasInputValue(await w.text(ad), 'Wake_Mod', 'openfast') ? 'Wake_Mod' : 'WakeMod'
  await w.requireSwitch(ad, wakeField, [0, 1, 2], 'OLAF (3) is not supported')
  await w.field(ad, 'OLAFInputFileName', 'aerodyn', false)
  for (const [i, name] of (await airfoilNames(w, ad)).entries()) {
    const airfoil = w.reference(ad, `AFNames(${i + 1})`, name, 'airfoil', true)
    if (!airfoil) continue
    await w.includes(airfoil)
    await w.field(airfoil, 'BL_file', 'airfoil-boundary-layer', false)
  }
  for (let b = 1; b <= 3; b++) {
    const blade = await w.field(ad, `ADBlFile(${b})`, 'aerodyn-blade', true)
    if (blade) await w.includes(blade)
  }
  await w.field(ad, 'TFinFile', 'aerodyn-tailfin', await w.flag(ad, 'TFinAero'))
}

/** ServoDyn control modes that call the Bladed-style library (5 = "user-defined from Bladed-style DLL"). */
const DLL_MODES = ['PCMode', 'VSContrl', 'HSSBrMode', 'YCMode', 'AfCmode', 'CCmode'] as const

async function walkServoDyn(w: Walker, sd: string): Promise<string | undefined> {
  await w.includes(sd)
  for (const kind of ['B', 'N', 'T', 'S']) {
    await w.requireSwitch(sd, `Num${kind}StC`, [0], 'structural controllers are not supported')
  }
  let usesLibrary = false
  for (const mode of DLL_MODES) if ((await w.number(sd, mode)) === 5) usesLibrary = true
  // DLL_FileName is not a deck file: the server replaces it by its own controller library.
  return w.field(sd, 'DLL_InFile', 'controller-parameters', usesLibrary)
}

/** ROSCO's DISCON.IN: no external library (Ext_Mode), no network (ZMQ_Mode); data files inside the deck. */
async function walkControllerParameters(w: Walker, discon: string): Promise<void> {
  await w.requireSwitch(discon, 'Ext_Mode', [0], 'a deck cannot load a library', 'discon')
  await w.requireSwitch(discon, 'ZMQ_Mode', [0], 'the controller has no network', 'discon')
  await w.field(discon, 'PerfFileName', 'rotor-performance', true, 'discon')
  const olMode = await w.number(discon, 'OL_Mode', 'discon')
  await w.field(discon, 'OL_Filename', 'open-loop-data', olMode !== 0, 'discon')
}

/**
 * Walks a deck from its entry `.fst`: every file-name field of every known input file is resolved and proven to stay
 * inside `deckDir`; unknown modules are refused (DISPATCH_DECK_INVALID); a name outside the deck is
 * DISPATCH_UNSAFE_PATH. Files a used field names must exist (they are read, or checked, here).
 */
export async function walkDeck(deckDir: string, entryFile: string): Promise<DeckWalk> {
  const w = new Walker(resolve(deckDir))
  const fst = resolve(w.deckDir, entryFile)
  if (relative(w.deckDir, fst).startsWith('..')) throw new DispatchError('DISPATCH_UNSAFE_PATH', `entry ${entryFile} escapes the deck`)
  await w.positional(fst, referenceLayout().fst, 'OutFileFmt')
  await w.requireSwitch(fst, 'CompElast', [1], 'ElastoDyn only (BeamDyn and SED are not supported)')
  const inflow = await w.requireSwitch(fst, 'CompInflow', [0, 1], 'InflowWind or still air')
  const aero = await w.requireSwitch(fst, 'CompAero', [0, 2], 'AeroDyn or none')
  const servo = await w.requireSwitch(fst, 'CompServo', [0, 1], 'ServoDyn or none')
  for (const f of ['CompSeaSt', 'CompHydro', 'CompSub', 'CompMooring', 'CompIce']) {
    await w.requireSwitch(fst, f, [0], 'offshore and ice modules are not supported')
  }
  const elastoDyn = (await w.field(fst, 'EDFile', 'elastodyn', true)) as string
  for (let b = 1; b <= 3; b++) await w.field(fst, `BDBldFile(${b})`, 'fst', false)
  const inflowWind = await w.field(fst, 'InflowFile', 'inflowwind', inflow === 1)
  const aeroDyn = await w.field(fst, 'AeroFile', 'aerodyn', aero === 2)
  const servoDyn = await w.field(fst, 'ServoFile', 'servodyn', servo === 1)
  for (const f of ['SeaStFile', 'HydroFile', 'SubFile', 'MooringFile', 'IceFile']) await w.field(fst, f, 'fst', false)

  await walkElastoDyn(w, elastoDyn)
  if (inflowWind && inflow === 1) await walkInflowWind(w, inflowWind)
  if (aeroDyn && aero === 2) await walkAeroDyn(w, aeroDyn)
  const controllerParameters = servoDyn && servo === 1 ? await walkServoDyn(w, servoDyn) : undefined
  if (controllerParameters) await walkControllerParameters(w, controllerParameters)
  for (const r of w.references) {
    const found = r.needed ? await stat(resolve(w.deckDir, r.path)).catch(() => undefined) : undefined
    if (r.needed && !found?.isFile()) {
      throw invalid(`${r.from}: ${r.field} names ${JSON.stringify(r.path)}, which the deck does not contain`)
    }
  }
  return {
    references: w.references,
    modules: {
      elastoDyn,
      ...(inflow === 1 && inflowWind ? { inflowWind } : {}),
      ...(aero === 2 && aeroDyn ? { aeroDyn } : {}),
      ...(servo === 1 && servoDyn ? { servoDyn } : {}),
      ...(controllerParameters ? { controllerParameters } : {}),
    },
  }
}
