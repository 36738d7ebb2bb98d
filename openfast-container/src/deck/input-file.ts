import { DispatchError } from '../errors.js'

/**
 * OpenFAST input files are line-oriented, `value   Name   - description`; a value is found by the name in the
 * second column (OpenFAST reads names case-insensitively). ROSCO's DISCON.IN puts a `!` between the value(s) and
 * the name: `value(s)   ! Name   - description`. These functions edit values by name and leave every other byte of
 * the file as it was, so a reviewer can diff a run's deck against the template.
 */
export type InputFileFormat = 'openfast' | 'discon'

/** Files are handled as latin1 strings so that every byte round-trips unchanged. */
export const DECK_ENCODING = 'latin1' as const

interface Located {
  lineIndex: number
  /** Characters before the value, the value itself, and everything after it. */
  before: string
  value: string
  after: string
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

const SECTION_RULE = /^\s*(-{2,}|={2,})/

function valuePattern(name: string, format: InputFileFormat): RegExp {
  const n = escapeRegExp(name)
  return format === 'openfast'
    ? new RegExp(`^(\\s*)("[^"]*"|\\S+)(\\s+${n}(?:\\s|$).*)$`, 'is')
    : new RegExp(`^(\\s*)(\\S.*?)(\\s+!\\s*${n}(?:\\s|$).*)$`, 's')
}

/**
 * How many lines give a value to `name` (section rules excluded). For OpenFAST files a line that starts with the name
 * counts too: its ParseVar accepts `Name value` as well as `value Name` (NWTC_IO ChkParseData).
 */
export function countInputValues(text: string, name: string, format: InputFileFormat): number {
  const pattern = valuePattern(name, format)
  const nameFirst = new RegExp(`^\\s*"?${escapeRegExp(name)}"?(?:[\\s,]|$)`, 'i')
  return text.split('\n').filter((l) => !SECTION_RULE.test(l) && (pattern.test(l) || (format === 'openfast' && nameFirst.test(l)))).length
}

function locate(lines: readonly string[], name: string, format: InputFileFormat): Located | undefined {
  const pattern = valuePattern(name, format)
  for (let i = 0; i < lines.length; i++) {
    // Section rules (`---- FURLING ----`, `====== Outputs ====`) are not values, though their second word may be a name.
    if (SECTION_RULE.test(lines[i])) continue
    const m = pattern.exec(lines[i])
    if (m) return { lineIndex: i, before: m[1], value: m[2], after: m[3] }
  }
  return undefined
}

function missing(name: string, fileLabel: string): DispatchError {
  return new DispatchError('DISPATCH_DECK_FIELD_MISSING', `${fileLabel} has no value named '${name}'`)
}

/** The raw value text of `name` (quotes kept), or throws DISPATCH_DECK_FIELD_MISSING. */
export function readInputValue(text: string, name: string, format: InputFileFormat, fileLabel = 'input file'): string {
  const found = locate(text.split('\n'), name, format)
  if (!found) throw missing(name, fileLabel)
  return found.value
}

/** Whether the file has a value named `name`. */
export function hasInputValue(text: string, name: string, format: InputFileFormat): boolean {
  return locate(text.split('\n'), name, format) !== undefined
}

/** A quoted string value without its quotes (`"DISCON.IN"` → `DISCON.IN`). */
export function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value
}

/**
 * Replaces the values of the named fields. A value that fits is aligned in the old value's width (right-aligned when the
 * old one was indented, as OpenFAST's numbers are) so the name column stays put; a longer one pushes it right. Every field must exist.
 */
export function setInputValues(
  text: string,
  edits: Readonly<Record<string, string>>,
  format: InputFileFormat,
  fileLabel = 'input file',
): string {
  const lines = text.split('\n')
  for (const [name, newValue] of Object.entries(edits)) {
    const found = locate(lines, name, format)
    if (!found) throw missing(name, fileLabel)
    const width = found.before.length + found.value.length
    let head: string
    if (format === 'discon' || found.before.length === 0) head = `${found.before}${newValue}`.padEnd(width)
    else head = newValue.length < width ? newValue.padStart(width) : ` ${newValue}`
    lines[found.lineIndex] = `${head}${found.after}`
  }
  return lines.join('\n')
}

/** A number as OpenFAST reads it: plain, with enough digits to round-trip a double. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) throw new DispatchError('DISPATCH_INVALID_REQUEST', `value ${value} is not a finite number`)
  return String(value)
}

export function quote(value: string): string {
  if (value.includes('"') || /[\r\n]/.test(value)) {
    throw new DispatchError('DISPATCH_INVALID_REQUEST', `value ${JSON.stringify(value)} cannot be written as a quoted string`)
  }
  return `"${value}"`
}
