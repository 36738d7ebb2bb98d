import { AgentError } from '../errors.js'

/**
 * Translates a better-sqlite3 error into an AgentError. SQLITE_FULL (disk or max_page_count reached) and
 * SQLITE_IOERR_* are expected operating conditions: the transaction was rolled back and the file is intact
 * (SQLite's atomic commit guarantees it), so callers may retry later.
 */
export function translateSqliteError(err: unknown, what: string): AgentError {
  if (err instanceof AgentError) return err
  const code = (err as { code?: string }).code ?? ''
  const message = (err as Error).message ?? String(err)
  if (code === 'ENOSPC') return new AgentError('AGENT_DISK_FULL', `${what}: the disk is full (${message})`, { cause: err })
  if (code === 'EIO') return new AgentError('AGENT_IO_ERROR', `${what}: disk I/O error (${message})`, { cause: err })
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    // SQLite also reports a read the disk failed (EIO) this way (SQLITE_IOERR_CORRUPTFS becomes SQLITE_CORRUPT).
    return new AgentError('AGENT_DB_CORRUPT', `${what}: the outbox file is damaged or the disk could not read it (${code}: ${message})`, {
      cause: err,
    })
  }
  if (code === 'SQLITE_FULL') return new AgentError('AGENT_DISK_FULL', `${what}: the outbox database is full (${message})`, { cause: err })
  if (code.startsWith('SQLITE_IOERR'))
    return new AgentError('AGENT_IO_ERROR', `${what}: disk I/O error ${code} (${message})`, { cause: err })
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new AgentError('AGENT_DB_LOCKED', `${what}: the outbox database is locked by another process (${message})`, { cause: err })
  }
  return new AgentError('AGENT_DB_ERROR', `${what}: ${code || 'error'} ${message}`, { cause: err })
}
