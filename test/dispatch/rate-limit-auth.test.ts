import { join } from 'node:path'
import { buildApp } from '@edgetwin/openfast-container'
import { describe, expect, it } from 'vitest'
import { AUTH, perTestApp, silentLog, TOKEN, testApp, testConfig } from './support.js'

const t = perTestApp()

const get = (url: string, headers: Record<string, string> = {}) => t.app!.inject({ method: 'GET', url, headers })

describe('rate limiting', () => {
  it('counts requests without a token, with a wrong one and to unknown routes', async () => {
    t.app = await testApp(join(t.dir, 'data'), { limits: { rateLimitPerMinute: 6 } })
    const codes = [
      (await get('/status')).statusCode,
      (await get('/status')).statusCode,
      (await get('/status', { authorization: 'Bearer nope' })).statusCode,
      (await get('/status', { authorization: 'Bearer nope' })).statusCode,
      (await get('/no-such-route', AUTH)).statusCode,
      (await get('/no-such-route')).statusCode,
      (await get('/status', AUTH)).statusCode,
      (await get('/status')).statusCode,
    ]
    expect(codes).toEqual([401, 401, 401, 401, 404, 401, 429, 429])
  })

  it('never limits /healthz, and /healthz does not use up the budget', async () => {
    t.app = await testApp(join(t.dir, 'data'), { limits: { rateLimitPerMinute: 3 } })
    for (let i = 0; i < 3; i++) expect((await get('/status', AUTH)).statusCode).toBe(200)
    expect((await get('/status', AUTH)).statusCode).toBe(429)
    const health = new Set<number>()
    for (let i = 0; i < 50; i++) health.add((await get('/healthz')).statusCode)
    expect([...health]).toEqual([200])
  })

  it('states the real window and the retry time, as Retry-After does', async () => {
    t.app = await testApp(join(t.dir, 'data'), { limits: { rateLimitPerMinute: 1 } })
    await get('/status', AUTH)
    const res = await get('/status', AUTH)
    expect(res.statusCode).toBe(429)
    const retryAfterS = Number(res.headers['retry-after'])
    expect(retryAfterS).toBeGreaterThan(0)
    expect(retryAfterS).toBeLessThanOrEqual(60)
    expect(res.json()).toMatchObject({
      code: 'DISPATCH_RATE_LIMITED',
      message: `more than 1 requests from this client in 60 s; retry after ${retryAfterS} s (Retry-After)`,
    })
  })
})

describe('bearer tokens', () => {
  it('accepts the scheme name in any case (RFC 7235 §2.1)', async () => {
    t.app = await testApp(join(t.dir, 'data'))
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      expect([scheme, (await get('/status', { authorization: `${scheme} ${TOKEN}` })).statusCode]).toEqual([scheme, 200])
    }
    expect((await get('/status', { authorization: `Bearer  ${TOKEN}x` })).statusCode).toBe(401)
  })

  it('refuses to start with a token under 32 bytes of entropy, naming the variable and never the token', async () => {
    const config = testConfig(join(t.dir, 'data'))
    const weak = [
      'Q',
      'test-token-0123456789abcdef',
      'a'.repeat(200),
      'abababababababababababababababababababababababababab',
      'c0f6e1b27d9a4e58b3f1a6d0e9c47b2a5f8d1e3c6b9a0f7e2d4c8b1a3e5f7d9',
    ]
    for (const token of weak) {
      const err = await buildApp(config, { bearerTokens: [TOKEN, token], log: silentLog }).catch((e: Error) => e)
      expect(err).toMatchObject({
        code: 'DISPATCH_CONFIG_INVALID',
        message: expect.stringContaining('bearer token 2 of EDGETWIN_DISPATCH_TOKEN'),
      })
      expect((err as Error).message).not.toContain(token)
    }
    // 64 hex characters (openssl rand -hex 32) and 43 base64url characters (32 bytes) are enough.
    for (const strong of [TOKEN, 'q3F_9xZk-2LmVbT7yW0aRcE4uJ8pN1sD6hG5oKiYtMw']) {
      const ok = await buildApp(config, { bearerTokens: [strong], log: silentLog })
      await ok.close()
    }
  })
})
