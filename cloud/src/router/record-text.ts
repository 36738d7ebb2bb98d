import { isUtf8 } from 'node:buffer'

/**
 * Where each record's `data` sits in the envelope's JSON bytes, so sinks that store JSON (the archive's lines, the
 * SQLite time series) copy the text the validator accepted instead of serialising the parsed value again: number
 * formatting is most of what `JSON.stringify` costs here.
 *
 * `spans[3 * i]` and `spans[3 * i + 1]` are the start and end byte of record i's data; both are 0 when that text
 * must not be reused (it holds whitespace, which could be a newline inside an NDJSON line, or more object members
 * than the parsed value: a duplicate key, which parsers resolve differently). `spans[3 * i + 2]` is the number of
 * object members in the text, which `usableText` compares with the parsed value's.
 */
export interface RecordText {
  readonly json: Buffer
  readonly spans: Uint32Array
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COLON = 0x3a
const COMMA = 0x2c
const OPEN_OBJECT = 0x7b
const CLOSE_OBJECT = 0x7d
const OPEN_ARRAY = 0x5b
const CLOSE_ARRAY = 0x5d

const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09

/** Thrown inside the scan when the bytes are not shaped as expected; the caller falls back to serialising. */
const UNEXPECTED = new Error('unexpected JSON layout')

/** The walk's position and what it saw inside the last value it skipped. */
interface Scan {
  readonly json: Buffer
  readonly n: number
  /** Object members (colons outside strings) in the last skipped value. */
  members: number
  /** Whitespace outside strings in the last skipped value. */
  spaced: boolean
}

function skipSpace(s: Scan, i: number): number {
  while (i < s.n && isSpace(s.json[i]!)) i++
  if (i >= s.n) throw UNEXPECTED
  return i
}

/** i at an opening quote; returns the index after the closing one. */
function endOfString(s: Scan, i: number): number {
  const { json, n } = s
  for (let j = i + 1; j < n; j++) {
    const c = json[j]!
    if (c === BACKSLASH) j++
    else if (c === QUOTE) return j + 1
  }
  throw UNEXPECTED
}

/** i at a member name written without escapes (one with escapes could alias another name once decoded). */
function endOfName(s: Scan, i: number): number {
  const { json, n } = s
  if (json[i] !== QUOTE) throw UNEXPECTED
  for (let j = i + 1; j < n; j++) {
    const c = json[j]!
    if (c === BACKSLASH) throw UNEXPECTED
    if (c === QUOTE) return j + 1
  }
  throw UNEXPECTED
}

function isName(s: Scan, start: number, end: number, name: string): boolean {
  if (end - start !== name.length + 2) return false
  for (let k = 0; k < name.length; k++) if (s.json[start + 1 + k] !== name.charCodeAt(k)) return false
  return true
}

/** i at a value; returns the index after it, counting the object members and whitespace inside it. */
function skipValue(s: Scan, i: number): number {
  const { json, n } = s
  s.members = 0
  s.spaced = false
  const c = json[i]!
  if (c === QUOTE) return endOfString(s, i)
  if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
    let depth = 0
    for (let j = i; j < n; j++) {
      const d = json[j]!
      if (d === QUOTE) j = endOfString(s, j) - 1
      else if (d === OPEN_OBJECT || d === OPEN_ARRAY) depth++
      else if (d === CLOSE_OBJECT || d === CLOSE_ARRAY) {
        if (--depth === 0) return j + 1
      } else if (d === COLON) s.members++
      else if (isSpace(d)) s.spaced = true
    }
    throw UNEXPECTED
  }
  let j = i
  while (j < n) {
    const d = json[j]!
    if (d === COMMA || d === CLOSE_OBJECT || d === CLOSE_ARRAY || isSpace(d)) break
    j++
  }
  return j
}

/** i after a member's value: the index of the next member's name, or -(end + 1) when the object closed (end after its brace). */
function nextMember(s: Scan, i: number): number {
  i = skipSpace(s, i)
  if (s.json[i] === CLOSE_OBJECT) return -(i + 1) - 1
  if (s.json[i] !== COMMA) throw UNEXPECTED
  return skipSpace(s, i + 1)
}

/** The index of a member's value, given the end of its name. */
function valueStart(s: Scan, nameEnd: number): number {
  const colon = skipSpace(s, nameEnd)
  if (s.json[colon] !== COLON) throw UNEXPECTED
  return skipSpace(s, colon + 1)
}

/** i at one record `{"seq":…,"data":…}`: stores its data's span at `index`, returns the index after the record. */
function scanRecord(s: Scan, i: number, spans: Uint32Array, index: number): number {
  if (s.json[i] !== OPEN_OBJECT) throw UNEXPECTED
  i = skipSpace(s, i + 1)
  if (s.json[i] === CLOSE_OBJECT) return i + 1
  for (;;) {
    const nameEnd = endOfName(s, i)
    const value = valueStart(s, nameEnd)
    const end = skipValue(s, value)
    // A repeated `data` member: JSON.parse keeps the last, and so does this.
    if (isName(s, i, nameEnd, 'data')) {
      spans[3 * index] = s.spaced ? 0 : value
      spans[3 * index + 1] = s.spaced ? 0 : end
      spans[3 * index + 2] = s.members
    }
    const next = nextMember(s, end)
    if (next < 0) return -next - 1
    i = next
  }
}

/** i at the `records` array: fills a fresh span table (a repeated `records` member: JSON.parse keeps the last). */
function scanRecords(s: Scan, i: number, recordCount: number): { end: number; spans: Uint32Array } | undefined {
  const spans = new Uint32Array(recordCount * 3)
  if (s.json[i] !== OPEN_ARRAY) throw UNEXPECTED
  i = skipSpace(s, i + 1)
  if (s.json[i] === CLOSE_ARRAY) return recordCount === 0 ? { end: i + 1, spans } : undefined
  for (let found = 0; ; ) {
    if (found >= recordCount) return undefined
    i = skipSpace(s, scanRecord(s, i, spans, found))
    found++
    if (s.json[i] === CLOSE_ARRAY) return found === recordCount ? { end: i + 1, spans } : undefined
    if (s.json[i] !== COMMA) throw UNEXPECTED
    i = skipSpace(s, i + 1)
  }
}

/**
 * Finds the data of every record. The bytes were already accepted by `JSON.parse` and the envelope by its schema,
 * so this only walks the structure; anything it does not recognise (a member name written with escapes, a count
 * that differs from the parsed records, bytes that are not UTF-8) returns undefined and the caller serialises.
 */
export function findRecordText(json: Buffer, recordCount: number): RecordText | undefined {
  // JSON.parse saw the text decoded with replacement characters; the bytes themselves must be valid to be copied.
  if (!isUtf8(json)) return undefined
  const s: Scan = { json, n: json.length, members: 0, spaced: false }
  let spans: Uint32Array | undefined
  try {
    let i = skipSpace(s, 0)
    if (json[i] !== OPEN_OBJECT) return undefined
    i = skipSpace(s, i + 1)
    if (json[i] === CLOSE_OBJECT) return undefined
    for (;;) {
      const nameEnd = endOfName(s, i)
      const value = valueStart(s, nameEnd)
      let end: number
      if (isName(s, i, nameEnd, 'records')) {
        const found = scanRecords(s, value, recordCount)
        if (!found) return undefined
        spans = found.spans
        end = found.end
      } else end = skipValue(s, value)
      const next = nextMember(s, end)
      if (next < 0) break
      i = next
    }
  } catch (err) {
    if (err === UNEXPECTED) return undefined
    throw err
  }
  return spans ? { json, spans } : undefined
}

/** Object members in a parsed JSON value, at every depth. */
function memberCount(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0
  let count = 0
  if (Array.isArray(value)) {
    for (const v of value) count += memberCount(v)
    return count
  }
  for (const k in value) count += 1 + memberCount((value as Record<string, unknown>)[k])
  return count
}

/**
 * Record `index`'s data text when it can stand for `data`: no whitespace in it, and as many members as the
 * parsed value (JSON.parse folds a repeated name into one member, so equal counts mean none was repeated).
 */
export function usableText(text: RecordText | undefined, index: number, data: unknown): boolean {
  if (!text) return false
  const end = text.spans[3 * index + 1]!
  return end !== 0 && text.spans[3 * index + 2] === memberCount(data)
}

const MINUS = 0x2d
const isNumberStart = (c: number): boolean => c === MINUS || (c >= 0x30 && c <= 0x39)

/**
 * The numeric members of record `index`'s data object, as JSON object text copied from the envelope
 * (`{"windSpeedMps":8.1,…}`, in the order sent), or undefined when the text cannot stand for `data` (see
 * `usableText`) or is not an object. What the SQLite time series stores as a point's measures.
 */
export function numericMembersText(text: RecordText | undefined, index: number, data: unknown): string | undefined {
  if (!usableText(text, index, data)) return undefined
  const { json, spans } = text!
  const start = spans[3 * index]!
  if (json[start] !== OPEN_OBJECT) return undefined
  const s: Scan = { json, n: spans[3 * index + 1]!, members: 0, spaced: false }
  let out = ''
  let runStart = -1
  let runEnd = -1
  let i = start + 1
  if (json[i] === CLOSE_OBJECT) return '{}'
  try {
    for (;;) {
      // A name with escapes could decode to a measure's name, which SQLite's JSON paths would not match.
      const nameEnd = endOfName(s, i)
      const value = nameEnd + 1 // no whitespace in usable text: the colon follows the name
      const end = skipValue(s, value)
      if (isNumberStart(json[value]!)) {
        if (runStart < 0) runStart = i
        runEnd = end
      } else if (runStart >= 0) {
        out += (out ? ',' : '') + json.toString('utf8', runStart, runEnd)
        runStart = -1
      }
      if (json[end] === CLOSE_OBJECT) break
      i = end + 1 // past the comma
    }
  } catch (err) {
    if (err === UNEXPECTED) return undefined
    throw err
  }
  if (runStart >= 0) out += (out ? ',' : '') + json.toString('utf8', runStart, runEnd)
  return `{${out}}`
}
