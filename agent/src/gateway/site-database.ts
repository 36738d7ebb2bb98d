import { createRequire } from 'node:module'
import type { GatewayDatabaseConfig } from '@edgetwin/shared-schemas'
import type PgModule from 'pg'
import type { Logger } from 'pino'
import { GatewayError } from './errors.js'

/** The one interface the gateway needs from the site database. */
export interface SiteDatabase {
  query<R extends Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>
  close(): Promise<void>
}

// SQLSTATE classes 08 (connection exception), 57P01-57P03 (admin/crash shutdown, cannot connect now), 53300.
const UNAVAILABLE_SQLSTATES = /^(08|57P0[123]|53300)/
const UNAVAILABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN'])

// SQLSTATE classes whose messages quote the offending value: 22 (data exception: `invalid input syntax for type
// double precision: "..."`), 23 (integrity constraint violation), 42804/42P18 style datatype mismatches quote
// identifiers only and are kept.
const VALUE_QUOTING_SQLSTATES = /^(22|23)/

/**
 * A server message with row values taken out. PostgreSQL quotes the value it could not handle in double quotes
 * (`invalid input syntax for type integer: "SECRETNOTE"`) and keys in `Key (col)=(value)`; site data must not
 * reach the logs through an error. Identifiers in other messages (`relation "x" does not exist`) are kept.
 */
export function redactPgMessage(code: string, message: string): string {
  if (!VALUE_QUOTING_SQLSTATES.test(code)) return message
  return message.replace(/"(?:[^"]|"")*"/g, '"[redacted]"').replace(/\)=\((?:[^()]|\([^()]*\))*\)/g, ')=([redacted])')
}

/**
 * Translates a node-postgres error into a coded GatewayError: the server message (row values redacted) and
 * SQLSTATE kept; the driver's error, whose `detail`, `where` and `internalQuery` can quote rows, is not kept as
 * the cause.
 */
export function translatePgError(err: unknown, doing: string): GatewayError {
  const e = err as { code?: string; message?: string; position?: string }
  const code = e.code ?? ''
  const message = redactPgMessage(code, e.message ?? String(err))
  const cause = Object.assign(new Error(message), { code })
  if (code === '28P01' || code === '28000') {
    return new GatewayError('AGENT_GATEWAY_DB_AUTH', `${doing}: the site database refused the credentials (SQLSTATE ${code})`, {
      cause,
    })
  }
  if (
    UNAVAILABLE_ERRNOS.has(code) ||
    UNAVAILABLE_SQLSTATES.test(code) ||
    /Connection terminated|timeout expired|not queryable/i.test(message)
  ) {
    return new GatewayError('AGENT_GATEWAY_DB_UNAVAILABLE', `${doing}: the site database is unreachable (${code || message})`, {
      cause,
    })
  }
  const where = e.position ? ` at character ${e.position}` : ''
  return new GatewayError('AGENT_GATEWAY_QUERY_FAILED', `${doing}: ${message} (SQLSTATE ${code || 'unknown'}${where})`, { cause })
}

/**
 * A small pool over node-postgres. A connection that dies while idle is dropped by the pool (its `error` event
 * is handled here, otherwise Node would crash on it); the next query opens a new one, so the gateway recovers
 * by itself when the database returns.
 */
export function createSiteDatabase(config: GatewayDatabaseConfig, password: string | undefined, log: Logger): SiteDatabase {
  // Loaded here, not at import: only gateway agents talk to PostgreSQL, and a vehicle or turbine agent should not
  // carry the driver in memory.
  const pg = createRequire(import.meta.url)('pg') as typeof PgModule
  const pool = new pg.Pool({
    host: config.host,
    port: config.port,
    database: config.database,
    user: config.user,
    password,
    ssl: config.ssl ? { rejectUnauthorized: true } : false,
    connectionTimeoutMillis: config.connectTimeoutMs,
    statement_timeout: config.statementTimeoutMs,
    application_name: 'edgetwin-gateway',
    max: 2,
    idleTimeoutMillis: 30_000,
  })
  pool.on('error', (err) => log.warn({ err: translatePgError(err, 'idle connection') }, 'site database connection lost'))
  return {
    async query<R extends Record<string, unknown>>(text: string, params: unknown[] = []) {
      const result = await pool.query(text, params)
      return result.rows as R[]
    },
    async close() {
      await pool.end()
    },
  }
}
