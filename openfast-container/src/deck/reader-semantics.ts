import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { DispatchError } from '../errors.js'
import { countInputValues, DECK_ENCODING } from './input-file.js'

/**
 * How OpenFAST and ROSCO find a value, so the server checks the line they will read and no other:
 * - ROSCO (ROSCO_Helpers.f90 FindLine/GetWords): every line is split into words at blanks, tabs, `,` `!` `;` and
 *   quotes; the value is the first word of the LAST line whose second word is the name (case-insensitive).
 * - OpenFAST's ParseVar files (AeroDyn, InflowWind, ServoDyn, airfoils) read the line at a position and check its name;
 *   the `.fst` and ElastoDyn's primary file are read by position only (NWTC ReadVar: the name is not checked).
 * So a name must label one line only, and in the positional files each named line must sit where the reference
 * layout (the shipped OpenFAST v4.1 deck) has it.
 */

/** The label of an OpenFAST input line `value(s)  Name  - description` (the identifier before the dash), lower-cased. */
export function lineLabel(line: string): string | undefined {
  if (/^\s*(-{2,}|={2,})/.test(line)) return undefined // a section rule, read as a comment
  return /^\s*\S.*?\s+([A-Za-z][A-Za-z0-9_]*(?:\(\d+\))?)\s+-/.exec(line)?.[1]?.toLowerCase()
}

/** Throws DISPATCH_DECK_INVALID when more than one line of an OpenFAST input file gives a value to `name`. */
export function requireSingleValue(text: string, name: string, fileLabel: string): void {
  const count = countInputValues(text, name, 'openfast')
  if (count > 1) throw new DispatchError('DISPATCH_DECK_INVALID', `${fileLabel}: ${name} is named on ${count} lines; name it once`)
}

const ROSCO_SEPARATORS = /[ \t,!;'"]+/

/** ROSCO's reading of a scalar or string: the first word of the last line whose second word is `name`. */
export function roscoValue(text: string, name: string, fileLabel: string): string {
  const n = name.toUpperCase()
  const found = text
    .split(/\r?\n/)
    .map((l) => l.split(ROSCO_SEPARATORS).filter((w) => w.length > 0))
    .filter((w) => w[1]?.toUpperCase() === n)
  if (found.length === 0) throw new DispatchError('DISPATCH_DECK_FIELD_MISSING', `${fileLabel} has no value named '${name}'`)
  if (found.length > 1)
    throw new DispatchError('DISPATCH_DECK_INVALID', `${fileLabel}: ${name} is named on ${found.length} lines; name it once`)
  return found[0]![0]!
}

/** Line labels by index of the reference deck's positional files (`.fst`, ElastoDyn primary), OpenFAST v4.1. */
export interface ReferenceLayout {
  readonly fst: readonly (string | undefined)[]
  readonly elastodyn: readonly (string | undefined)[]
}

const REFERENCE_DECK = new URL('../../openfast-deck/', import.meta.url)

let reference: ReferenceLayout | undefined
/** The layout of the shipped NREL 5-MW deck (read once; the files are part of the package). */
export function referenceLayout(): ReferenceLayout {
  reference ??= Object.freeze({
    fst: layoutOf('NREL-5MW.fst'),
    elastodyn: layoutOf('NRELOffshrBsline5MW_Onshore_ElastoDyn.dat'),
  })
  return reference
}

function layoutOf(file: string): (string | undefined)[] {
  return readFileSync(fileURLToPath(new URL(file, REFERENCE_DECK)), DECK_ENCODING)
    .split('\n')
    .map(lineLabel)
}

/**
 * A positional file must label each line the reference labels with the same name, up to `lastName` (the last
 * value the server reads from it): then reading by name and OpenFAST's reading by position find the same lines.
 */
export function checkPositionalLayout(text: string, layout: readonly (string | undefined)[], lastName: string, fileLabel: string): void {
  const lines = text.split('\n')
  const last = layout.indexOf(lastName.toLowerCase())
  for (let i = 0; i <= last; i++) {
    const expected = layout[i]
    if (expected === undefined) continue
    const got = i < lines.length ? lineLabel(lines[i]!) : undefined
    if (got !== expected) {
      throw new DispatchError(
        'DISPATCH_DECK_INVALID',
        `${fileLabel} line ${i + 1} must hold ${expected} (OpenFAST v4.1 reads this file by position), found ${got ?? 'no name'}`,
      )
    }
  }
}
