import type { SimulationOutput } from './channels.js'
import { ModelError } from './errors.js'
import { MODEL_VERSION } from './version.js'

/** How formatOutFile names the calibration on the header's "linked with" line. */
const CALIBRATION_IN_HEADER = /, calibration (cal-[0-9a-f]{12}|[A-Za-z0-9._-]+)\s*$/

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** Fortran ES10.3E2, OpenFAST's default `OutFmt`: ` 1.174E+03`, `-2.500E-01`. */
function es10(value: number): string {
  if (!Number.isFinite(value)) return '       NaN'
  const [mantissa, exponent] = value.toExponential(3).split('e') as [string, string]
  const e = Number(exponent)
  const text = `${mantissa}E${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`
  return text.padStart(10)
}

/** Fortran F10.4, OpenFAST's format of the Time column. */
function f10(value: number): string {
  return value.toFixed(4).padStart(10)
}

/**
 * Writes OpenFAST's text output format: a few header lines, a tab-separated row of channel names, a row of units
 * in parentheses, then one tab-separated row per output step (Time as F10.4, the rest as ES10.3E2).
 * `generatedAt` is a parameter so that the text is reproducible.
 */
export function formatOutFile(
  output: SimulationOutput,
  description = 'edgetwin reduced-order NREL 5-MW run',
  generatedAt = new Date(0),
): string {
  const d = generatedAt
  const date = `${String(d.getUTCDate()).padStart(2, '0')}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()}`
  const time = d.toISOString().slice(11, 19)
  const lines = [
    '',
    ` Predictions were generated on ${date} at ${time} using ${MODEL_VERSION}`,
    ` linked with  the NREL 5-MW baseline controller (NREL/TP-500-38060) and the ROSCO Cp/Ct/Cq table${output.calibrationId ? `, calibration ${output.calibrationId}` : ''}`,
    '',
    ` Description from the FAST input file: ${description.replace(/[\r\n]+/g, ' ')}`,
    '',
    output.channels.join('\t'),
    output.units.map((u) => `(${u})`).join('\t'),
  ]
  const n = output.columns[0]?.length ?? 0
  const timeIndex = output.channels.indexOf('Time')
  for (let r = 0; r < n; r++) {
    const cells = output.columns.map((c, i) => (i === timeIndex ? f10(c[r]!) : es10(c[r]!)))
    lines.push(cells.join('\t'))
  }
  return `${lines.join('\n')}\n`
}

/**
 * Reads an OpenFAST text `.out` file (ours or OpenFAST's own): finds the channel-name row (first token `Time`,
 * followed by a row of parenthesised units), then reads numeric rows until the end or a non-numeric line. A file of
 * the model gives the calibration its header names as `calibrationId` (provenance for whoever reads the results).
 */
export function parseOutFile(text: string): SimulationOutput {
  const lines = text.split(/\r?\n/)
  const split = (line: string) =>
    line
      .trim()
      .split(/\t+|\s+/)
      .filter((t) => t.length > 0)
  let header = -1
  for (let i = 0; i < lines.length - 1; i++) {
    const tokens = split(lines[i]!)
    if (tokens[0] === 'Time' && lines[i + 1]!.trim().startsWith('(')) {
      header = i
      break
    }
  }
  if (header < 0)
    throw new ModelError('MODEL_OUT_FILE_MALFORMED', 'not an OpenFAST .out file: no channel row starting with Time followed by a units row')
  const channels = split(lines[header]!)
  const units = split(lines[header + 1]!).map((u) => u.replace(/^\(|\)$/g, ''))
  if (units.length !== channels.length) {
    throw new ModelError('MODEL_OUT_FILE_MALFORMED', `${channels.length} channel names but ${units.length} units`)
  }
  const rows: number[][] = []
  for (let i = header + 2; i < lines.length; i++) {
    const line = lines[i]!
    if (line.trim().length === 0) continue
    const values = split(line).map(Number)
    if (values.length !== channels.length || values.some((v) => Number.isNaN(v))) {
      throw new ModelError('MODEL_OUT_FILE_MALFORMED', `line ${i + 1}: expected ${channels.length} numbers, got '${line.slice(0, 80)}'`)
    }
    rows.push(values)
  }
  const columns = channels.map((_, c) => Float64Array.from(rows, (r) => r[c]!))
  // The model names its calibration in the header (formatOutFile); OpenFAST's own files have none.
  const calibrationId = lines
    .slice(0, header)
    .map((l) => CALIBRATION_IN_HEADER.exec(l)?.[1])
    .find((id) => id !== undefined)
  return calibrationId ? { channels, units, columns, calibrationId } : { channels, units, columns }
}
