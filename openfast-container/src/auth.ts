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

/** A bearer token must carry at least 32 bytes (256 bits) of entropy: `openssl rand -hex 32`, or 43+ base64url characters. */
export const MIN_TOKEN_ENTROPY_BITS = 256
/** Below this many distinct characters a token is a pattern (`aaaa…`, `abab…`), whatever its length. */
const MIN_DISTINCT_CHARACTERS = 10

/**
 * An upper bound of a token's entropy from its length and the character classes it uses: hexadecimal tokens count
 * 4 bits a character, others log2 of the size of the classes present (lower, upper, digits, other printable).
 */
export function estimatedEntropyBits(token: string): number {
  if (new Set(token).size < MIN_DISTINCT_CHARACTERS) return 0
  if (/^[0-9a-f]+$/.test(token) || /^[0-9A-F]+$/.test(token)) return token.length * 4
  let alphabet = 0
  if (/[a-z]/.test(token)) alphabet += 26
  if (/[A-Z]/.test(token)) alphabet += 26
  if (/[0-9]/.test(token)) alphabet += 10
  if (/[^A-Za-z0-9]/.test(token)) alphabet += 32
  return token.length * Math.log2(alphabet)
}

/** Refuses (DISPATCH_CONFIG_INVALID) any accepted token weaker than MIN_TOKEN_ENTROPY_BITS; the message never shows a token. */
export function checkTokenStrength(tokens: readonly string[], tokenEnv: string): void {
  tokens.forEach((token, i) => {
    const bits = Math.floor(estimatedEntropyBits(token))
    if (bits < MIN_TOKEN_ENTROPY_BITS || !/^[\x21-\x7e]+$/.test(token)) {
      throw new DispatchError(
        'DISPATCH_CONFIG_INVALID',
        `bearer token ${i + 1} of ${tokenEnv} (${token.length} characters, about ${bits} bits) is too weak: ` +
          `use at least ${MIN_TOKEN_ENTROPY_BITS / 8} random bytes of printable ASCII, e.g. \`openssl rand -hex 32\``,
      )
    }
  })
}

/**
 * Bearer-token authentication (RFC 6750 §2.1, `Authorization: Bearer <token>`; the scheme name is case-insensitive,
 * RFC 7235 §2.1) on every non-public route, including unknown ones, so that a probe learns nothing without a token.
 * Tokens are compared by their SHA-256 digests with a constant-time comparison.
 * Register it after the rate limiter's `onRequest` hook, so that requests without a valid token are counted too.
 */
export function registerBearerAuth(app: FastifyInstance, tokens: readonly string[]): void {
  const accepted = tokens.map(digest)
  app.addHook('onRequest', async (request, reply) => {
    if (isPublicRoute(request)) return
    const header = request.headers.authorization
    const match = typeof header === 'string' ? /^Bearer +([\x21-\x7e]+)$/i.exec(header) : null
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
