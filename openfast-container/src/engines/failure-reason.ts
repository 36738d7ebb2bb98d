/**
 * Why a child failed, from its output: the lines that state an error (OpenFAST's `FAST_InitializeAll:…:Cannot open
 * file …`, `Aborting OpenFAST.`, ROSCO's `ReadControlParameterFileSub:…`, a Node child's first `Error:` line) rather
 * than the last characters, which after a crash are a backtrace.
 */
const REASON =
  /(\b(error|cannot|can't|abort|aborting|fatal|invalid|failed|failure|not found|no such|exception|denied|killed|exceeded)\b|\b[A-Z]\w*Error\b)/i
/** Backtrace frames: gfortran (`#3  0x7f… in …`), glibc, Node (`    at fn (file:1:2)`, the `file:24` + `throw …` excerpt). */
const FRAME = /^\s*(#\d+\s|0x[0-9a-f]+|at\s|Backtrace|Program received signal|throw\s|\.\.\.|\S+:\d+(:\d+)?$)/i

const MAX_REASON_LINES = 6
const MAX_REASON_CHARS = 1500
const TAIL_CHARS = 300

/** The error lines of `head` and `tail` (deduplicated, in order), then the last output for context. */
export function failureReason(head: string, tail: string): string {
  const seen = new Set<string>()
  const reasons: string[] = []
  for (const raw of `${head}\n${tail}`.split(/[\r\n]+/)) {
    const line = raw.trim()
    if (!line || FRAME.test(line) || !REASON.test(line) || seen.has(line)) continue
    seen.add(line)
    reasons.push(line.length > 400 ? `${line.slice(0, 400)}…` : line)
    if (reasons.length === MAX_REASON_LINES) break
  }
  const last = tail.trim().slice(-TAIL_CHARS)
  const said = reasons.join(' | ').slice(0, MAX_REASON_CHARS)
  if (!said) return `last output: ${last}`
  return last && !said.includes(last) ? `${said}; last output: …${last}` : said
}
