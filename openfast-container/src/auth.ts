import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { DispatchError } from './errors.js'

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

/** Routes that answer without a token: the load balancer's health check (ALB checks cannot send headers) and the docs. */
export function isPublicRoute(request: FastifyRequest): boolean {
  const url = request.routeOptions.url
  return url === '/healthz' || url === '/docs' || (url?.startsWith('/docs/') ?? false)
}

/**
 * Bearer-token authentication (RFC 6750 §2.1, `Authorization: Bearer <token>`) on every non-public route,
 * including unknown ones, so that a probe learns nothing without a token. Tokens are compared by their SHA-256
 * digests with a constant-time comparison.
 */
export function registerBearerAuth(app: FastifyInstance, tokens: readonly string[]): void {
  const accepted = tokens.map(digest)
  app.addHook('onRequest', async (request, reply) => {
    if (isPublicRoute(request)) return
    const header = request.headers.authorization
    const match = typeof header === 'string' ? /^Bearer ([\x21-\x7e]+)$/.exec(header) : null
    const presented = match ? digest(match[1]) : undefined
    if (!presented || !accepted.some((t) => timingSafeEqual(t, presented))) {
      reply.header('www-authenticate', 'Bearer realm="edgetwin-dispatch"')
      throw new DispatchError(
        'DISPATCH_UNAUTHORIZED',
        match ? 'the bearer token is not valid' : 'an Authorization: Bearer <token> header is required',
      )
    }
  })
}
