import { isUtf8 } from 'node:buffer'

/**
 * Where each record's `data` sits in the envelope's JSON bytes, so sinks that store JSON (the archive's lines, the
 * SQLite time series) copy the text the validator accepted instead of serialising the parsed value again: number
 * formatting is most of what `JSON.stringify` costs here. Read it with `usableText`, `dataStart`/`dataEnd` and
 * `numericMembersText`.
 */
export interface RecordText {
  readonly json: Buffer
  /** Per record, STRIDE slots: see the SLOT_ constants. */
  readonly spans: Uint32Array
  /** Per record, `usableText`'s answer once given: 0 not yet, 1 usable, 2 not (two sinks ask about each record). */
  readonly verdicts: Uint8Array
}

// Per record: the data's start and end byte (both 0 when the text holds whitespace, which could be a newline inside
// an NDJSON line); the object members in it, at every depth (compared with the parsed value's: more in the text
// means a repeated name, which parsers resolve differently); up to two runs of numeric top-level members
// [start, end) from the first name's quote to the last value's end (end 0: none, or not copyable).
const STRIDE = 7
const SLOT_START = 0
const SLOT_END = 1
const SLOT_MEMBERS = 2
const SLOT_RUN1_START = 3
const SLOT_RUN1_END = 4
const SLOT_RUN2_START = 5
const SLOT_RUN2_END = 6

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COLON = 0x3a
const COMMA = 0x2c
const MINUS = 0x2d
const OPEN_OBJECT = 0x7b
const CLOSE_OBJECT = 0x7d
const OPEN_ARRAY = 0x5b
const CLOSE_ARRAY = 0x5d

/** Byte classes for the structural walk: one table load per byte instead of a chain of comparisons. */
const PLAIN = 0
const IS_QUOTE = 1
const IS_OPEN = 2
const IS_CLOSE = 3
const IS_COLON = 4
const IS_SPACE = 5
const CLASS = new Uint8Array(256)
CLASS[QUOTE] = IS_QUOTE
CLASS[OPEN_OBJECT] = IS_OPEN
CLASS[OPEN_ARRAY] = IS_OPEN
CLASS[CLOSE_OBJECT] = IS_CLOSE
CLASS[CLOSE_ARRAY] = IS_CLOSE
CLASS[COLON] = IS_COLON
for (const c of [0x20, 0x0a, 0x0d, 0x09]) CLASS[c] = IS_SPACE
/** Bytes that end a number or a literal. */
const ENDS_LITERAL = new Uint8Array(256)
for (const c of [COMMA, CLOSE_OBJECT, CLOSE_ARRAY, 0x20, 0x0a, 0x0d, 0x09]) ENDS_LITERAL[c] = 1

const isNumberStart = (c: number): boolean => c === MINUS || (c >= 0x30 && c <= 0x39)

/** Thrown inside the scan when the bytes are not shaped as expected; the caller falls back to serialising. */
const UNEXPECTED = new Error('unexpected JSON layout')

/** The walk's bytes and what it saw inside the value being measured. */
interface Scan {
  readonly json: Buffer
  readonly n: number
  /** Object members (colons outside strings) counted since the caller reset it. */
  members: number
  /** Whitespace outside strings seen since the caller reset it. */
  spaced: boolean
}

function skipSpace(s: Scan, i: number): number {
  while (i < s.n && CLASS[s.json[i]!] === IS_SPACE) {
    s.spaced = true
    i++
  }
  if (i >= s.n) throw UNEXPECTED
  return i
}

/** i at an opening quote; returns the index after the closing one. */
function endOfString(s: Scan, i: number): number {
  const { json, n } = s
  for (let j = i + 1; j < n; j++) {
    const c = json[j]!
    if (c === QUOTE) return j + 1
    if (c === BACKSLASH) j++
  }
  throw UNEXPECTED
}

/** i at a member name; -(end) when the name holds an escape (it could alias another name once decoded). */
function endOfName(s: Scan, i: number): number {
  const { json, n } = s
  if (json[i] !== QUOTE) throw UNEXPECTED
  let escaped = false
  for (let j = i + 1; j < n; j++) {
    const c = json[j]!
    if (c === QUOTE) return escaped ? -(j + 1) : j + 1
    if (c === BACKSLASH) {
      escaped = true
      j++
    }
  }
  throw UNEXPECTED
}

function isName(s: Scan, start: number, end: number, name: string): boolean {
  if (end - start !== name.length + 2) return false
  for (let k = 0; k < name.length; k++) if (s.json[start + 1 + k] !== name.charCodeAt(k)) return false
  return true
}

/** i at a value; returns the index after it, adding the object members and whitespace inside it to `s`. */
function skipValue(s: Scan, i: number): number {
  const { json, n } = s
  const first = CLASS[json[i]!]
  if (first === IS_QUOTE) return endOfString(s, i)
  if (first === IS_OPEN) {
    let depth = 0
    for (let j = i; j < n; j++) {
      const k = CLASS[json[j]!]
      if (k === PLAIN) continue
      if (k === IS_QUOTE) j = endOfString(s, j) - 1
      else if (k === IS_OPEN) depth++
      else if (k === IS_CLOSE) {
        if (--depth === 0) return j + 1
      } else if (k === IS_COLON) s.members++
      else s.spaced = true
    }
    throw UNEXPECTED
  }
  let j = i
  while (j < n && ENDS_LITERAL[json[j]!] === 0) j++
  return j
}

/** The index of a member's value, given the end of its name. */
function valueStart(s: Scan, nameEnd: number): number {
  const colon = skipSpace(s, nameEnd)
  if (s.json[colon] !== COLON) throw UNEXPECTED
  return skipSpace(s, colon + 1)
}

/** i after a member's value: the index of the next member's name, or -(end + 1) when the object closed (end after its brace). */
function nextMember(s: Scan, i: number): number {
  i = skipSpace(s, i)
  if (s.json[i] === CLOSE_OBJECT) return -(i + 1) - 1
  if (s.json[i] !== COMMA) throw UNEXPECTED
  return skipSpace(s, i + 1)
}

/** Stores run number `run` (1-based) of numeric members; only the first two have slots. */
function storeRun(spans: Uint32Array, base: number, run: number, start: number, end: number): void {
  if (run === 1) {
    spans[base + SLOT_RUN1_START] = start
    spans[base + SLOT_RUN1_END] = end
  } else if (run === 2) {
    spans[base + SLOT_RUN2_START] = start
    spans[base + SLOT_RUN2_END] = end
  }
}

/** i at record `index`'s data value: measures it into `spans` (slots at `base`) and returns the index after it. */
function scanData(s: Scan, i: number, spans: Uint32Array, base: number): number {
  s.members = 0
  s.spaced = false
  let end = 0
  let runs = 0
  let runStart = 0
  let runEnd = 0
  let copyable = true
  if (s.json[i] !== OPEN_OBJECT) end = skipValue(s, i)
  else {
    // Top-level members walked one by one, to find the runs of numeric ones (a time series point's measures).
    let j = skipSpace(s, i + 1)
    if (s.json[j] === CLOSE_OBJECT) end = j + 1
    while (end === 0) {
      let nameEnd = endOfName(s, j)
      if (nameEnd < 0) {
        copyable = false
        nameEnd = -nameEnd
      }
      s.members++
      const value = valueStart(s, nameEnd)
      const valueEnd = skipValue(s, value)
      if (isNumberStart(s.json[value]!)) {
        if (runStart === 0) runStart = j
        runEnd = valueEnd
      } else if (runStart !== 0) {
        storeRun(spans, base, ++runs, runStart, runEnd)
        runStart = 0
      }
      const next = nextMember(s, valueEnd)
      if (next < 0) end = -next - 1
      else j = next
    }
    if (runStart !== 0) storeRun(spans, base, ++runs, runStart, runEnd)
  }
  spans[base + SLOT_START] = s.spaced ? 0 : i
  spans[base + SLOT_END] = s.spaced ? 0 : end
  spans[base + SLOT_MEMBERS] = s.members
  // More than two runs, or a name written with escapes: the measures are serialised instead.
  if (runs > 2 || !copyable) spans[base + SLOT_RUN1_END] = 0
  return end
}

/** i at one record `{"seq":…,"data":…}`: measures its data into `spans`, returns the index after the record. */
function scanRecord(s: Scan, i: number, spans: Uint32Array, index: number): number {
  if (s.json[i] !== OPEN_OBJECT) throw UNEXPECTED
  i = skipSpace(s, i + 1)
  if (s.json[i] === CLOSE_OBJECT) return i + 1
  for (;;) {
    const nameEnd = endOfName(s, i)
    if (nameEnd < 0) throw UNEXPECTED
    const value = valueStart(s, nameEnd)
    let end: number
    if (isName(s, i, nameEnd, 'data')) {
      // A repeated `data` member: JSON.parse keeps the last, and so does this (each one rewrites the slots).
      spans.fill(0, STRIDE * index, STRIDE * (index + 1))
      end = scanData(s, value, spans, STRIDE * index)
    } else end = skipValue(s, value)
    const next = nextMember(s, end)
    if (next < 0) return -next - 1
    i = next
  }
}

/** i at the `records` array: a fresh span table (a repeated `records` member: JSON.parse keeps the last). */
function scanRecords(s: Scan, i: number, recordCount: number): { end: number; spans: Uint32Array } | undefined {
  const spans = new Uint32Array(recordCount * STRIDE)
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
      if (nameEnd < 0) return undefined
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
  return spans ? { json, spans, verdicts: new Uint8Array(recordCount) } : undefined
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
 * Record `index`'s data text can stand for `data`: no whitespace in it, and as many members as the parsed value
 * (JSON.parse folds a repeated name into one member, so equal counts mean none was repeated).
 */
export function usableText(text: RecordText | undefined, index: number, data: unknown): text is RecordText {
  if (!text) return false
  const known = text.verdicts[index]
  if (known !== 0) return known === 1
  const base = STRIDE * index
  const usable = text.spans[base + SLOT_END] !== 0 && text.spans[base + SLOT_MEMBERS] === memberCount(data)
  text.verdicts[index] = usable ? 1 : 2
  return usable
}

/** First byte of record `index`'s data (after `usableText` said yes). */
export const dataStart = (text: RecordText, index: number): number => text.spans[STRIDE * index + SLOT_START]!
/** The byte after record `index`'s data (after `usableText` said yes). */
export const dataEnd = (text: RecordText, index: number): number => text.spans[STRIDE * index + SLOT_END]!

/**
 * The numeric members of record `index`'s data object, as JSON object text copied from the envelope
 * (`{"windSpeedMps":8.1,…}`, in the order sent), or undefined when the text cannot stand for `data` or has more
 * than two runs of numeric members: what the SQLite time series stores as a point's measures.
 */
export function numericMembersText(text: RecordText | undefined, index: number, data: unknown): string | undefined {
  if (!usableText(text, index, data)) return undefined
  const { json, spans } = text
  const base = STRIDE * index
  if (json[spans[base + SLOT_START]!] !== OPEN_OBJECT) return undefined
  const run1End = spans[base + SLOT_RUN1_END]!
  if (run1End === 0) return spans[base + SLOT_RUN1_START] === 0 ? '{}' : undefined
  const run1 = json.toString('utf8', spans[base + SLOT_RUN1_START], run1End)
  const run2End = spans[base + SLOT_RUN2_END]!
  return run2End === 0 ? `{${run1}}` : `{${run1},${json.toString('utf8', spans[base + SLOT_RUN2_START], run2End)}}`
}
