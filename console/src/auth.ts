import { timingSafeEqual } from 'node:crypto'
import { isIP } from 'node:net'
import type { ConsoleFastify } from './api/context.js'
import { ConsoleError } from './errors.js'

/** True for 127.0.0.0/8, ::1 and `localhost`: the only binds that may go without a token. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true
  if (isIP(host) === 4) return host.startsWith('127.')
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1'
  return false
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/**
 * Bearer-token check on `/api/`: `Authorization: Bearer <token>`, or `?token=` for EventSource, which cannot
 * set headers. The page and its bundle carry no data and load without it.
 */
export function registerTokenAuth(app: ConsoleFastify, token: string): void {
  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/api/')) return
    const header = request.headers.authorization
    const fromHeader = header?.startsWith('Bearer ') ? header.slice(7) : undefined
    const query = request.query as Record<string, unknown> | undefined
    const fromQuery = query?.['token']
    // Taken out before the route's querystring schema (additionalProperties: false) sees it.
    if (query) delete query['token']
    const given = fromHeader ?? (typeof fromQuery === 'string' ? fromQuery : undefined)
    if (given === undefined) throw new ConsoleError('CONSOLE_UNAUTHORIZED', 'a bearer token is required (Authorization header or ?token=)')
    if (!sameSecret(given, token)) throw new ConsoleError('CONSOLE_UNAUTHORIZED', 'the bearer token is not the console token')
  })
}
