/** Node's system error message: `ENOENT: no such file or directory, open '/x.json'`. */
const SYSTEM_MESSAGE = /^[A-Z0-9_]+: ([^,]+), (\w+)/
/** The same, quoted inside another message. */
const EMBEDDED_SYSTEM_MESSAGE = /\bE[A-Z0-9_]+: ([^,]+), \w+ '[^']*'/

/**
 * What a failed command prints after `edgetwin: `: one style for every error, `[CODE] what happened`. Node's own
 * file and socket errors are put in words (`[ENOENT] cannot open /x.json: no such file or directory`); an error
 * without a code takes the code of its cause, so a wrapped ENOENT still says ENOENT.
 */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const e = err as NodeJS.ErrnoException & { port?: number; address?: string }
  if (e.code === 'EADDRINUSE' && e.port !== undefined) {
    return `[EADDRINUSE] port ${e.port} is in use on ${e.address ?? 'this host'}: choose a free port (or 0 for any free one)`
  }
  const system = e.path && e.code ? SYSTEM_MESSAGE.exec(e.message) : null
  if (system) return `[${e.code}] cannot ${system[2]} ${e.path}: ${system[1]}`
  const code = e.code ?? (e.cause as { code?: unknown } | undefined)?.code
  // A wrapper that quoted Node's message (`cannot read x.json: ENOENT: no such file or directory, open 'x.json'`)
  // has already named the file: keep the words, drop the repeated code, syscall and path.
  const message = e.message.replace(EMBEDDED_SYSTEM_MESSAGE, '$1')
  return `${typeof code === 'string' ? `[${code}] ` : ''}${message}`
}
