/** What a failed command prints after `edgetwin: `: one style for every error, `[CODE] what happened`. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const e = err as NodeJS.ErrnoException & { port?: number; address?: string }
  // Node's system errors carry the syscall and path or port; say them in words rather than `ENOENT: … open '…'`.
  if (e.code === 'ENOENT' && e.path) return `[ENOENT] no such file or directory: ${e.path}`
  if (e.code === 'EACCES' && e.path) return `[EACCES] permission denied: ${e.path}`
  if (e.code === 'EADDRINUSE' && e.port !== undefined) {
    return `[EADDRINUSE] port ${e.port} is in use on ${e.address ?? 'this host'}: choose a free port (or 0 for any free one)`
  }
  return `${e.code ? `[${e.code}] ` : ''}${e.message}`
}
