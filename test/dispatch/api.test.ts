import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { buildApp, DEFAULT_TEMPLATE_DECK_DIR, type DispatchApp } from '@edgetwin/openfast-container'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  AUTH,
  multipartBody,
  silentLog,
  succeedingScript,
  TOKEN,
  tempDir,
  templateDeckParts,
  testApp,
  testConfig,
  waitForFinish,
  writeFakeOpenfast,
  writeOutFixture,
} from './support.js'

let dir: string
let cleanup: () => Promise<void>
let app: DispatchApp | undefined
beforeEach(async () => {
  ;({ dir, cleanup } = await tempDir())
})
afterEach(async () => {
  await app?.close()
  app = undefined
  await cleanup()
})

const parametric = { engine: 'openfast', windSpeedMps: 12, durationS: 4 }

async function fastOpenfastApp(overrides: Record<string, unknown> = {}): Promise<DispatchApp> {
  const fixture = join(dir, 'fixture.out')
  await writeOutFixture(fixture)
  const exe = await writeFakeOpenfast(dir, succeedingScript(fixture))
  return testApp(join(dir, 'data'), overrides, exe)
}

async function slowOpenfastApp(overrides: Record<string, unknown> = {}): Promise<DispatchApp> {
  const exe = await writeFakeOpenfast(dir, `printf ' Timestep: 1 of 4 seconds.\\r'\nexec sleep 30`)
  return testApp(join(dir, 'data'), overrides, exe)
}

async function execute(a: DispatchApp, body: unknown = parametric) {
  return a.inject({ method: 'PUT', url: '/execute', headers: AUTH, payload: body as object })
}

describe('PUT /execute, GET /status, results, upload, DELETE', () => {
  it('runs an openfast simulation end to end and serves its results', async () => {
    app = await fastOpenfastApp()
    const res = await execute(app, { ...parametric, label: 'baseline', controllerParameters: { overspeedAlarmGeneratorSpeedRpm: 1200 } })
    expect(res.statusCode).toBe(202)
    const { id, state, statusUrl, resultsUrl } = res.json()
    expect(state).toBe('QUEUED')
    expect(res.headers.location).toBe(statusUrl)
    const status = await waitForFinish(app, id)
    expect(status).toMatchObject({ state: 'SUCCEEDED', progress: 1, engine: 'openfast', engineVersion: '4.1.2', label: 'baseline' })

    const list = (await app.inject({ method: 'GET', url: '/status', headers: AUTH })).json()
    expect(list.simulations.map((s: { id: string }) => s.id)).toEqual([id])

    const results = await app.inject({ method: 'GET', url: resultsUrl, headers: AUTH })
    expect(results.statusCode).toBe(200)
    const body = results.json()
    expect(body.files.map((f: { name: string }) => f.name)).toEqual(['simulation.out', 'summary.json', 'engine.log'])
    expect(body.summary).toMatchObject({ id, engine: 'openfast', overspeedGeneratorRpm: 1200 })
    expect(Object.keys(body.summary.channels)).toContain('GenSpeed')

    const out = await app.inject({ method: 'GET', url: `${resultsUrl}/simulation.out`, headers: AUTH })
    expect(out.statusCode).toBe(200)
    expect(out.headers['content-type']).toContain('text/plain')
    expect(out.body).toBe(await readFile(join(dir, 'fixture.out'), 'utf8'))
    const summary = await app.inject({ method: 'GET', url: `/simulations/${id}/summary`, headers: AUTH })
    expect(summary.json()).toEqual(body.summary)

    const upload = await app.inject({ method: 'POST', url: '/upload_to_s3', headers: AUTH, payload: { id, prefix: 'twin/run-1' } })
    expect(upload.statusCode).toBe(200)
    const { location, keys } = upload.json()
    expect(keys).toEqual([`twin/run-1/${id}/simulation.out`, `twin/run-1/${id}/summary.json`, `twin/run-1/${id}/engine.log`])
    expect(await readFile(join(location, keys[0]), 'utf8')).toBe(out.body)

    const del = await app.inject({ method: 'DELETE', url: `/simulation?id=${id}`, headers: AUTH })
    expect(del.statusCode).toBe(200)
    expect(existsSync(join(dir, 'data', 'runs', id))).toBe(false)
    expect((await app.inject({ method: 'GET', url: `/status?id=${id}`, headers: AUTH })).statusCode).toBe(404)
  })

  it('answers every error with a stable code', async () => {
    app = await slowOpenfastApp()
    const cases: [string, string, unknown, number, string][] = [
      ['PUT', '/execute', { ...parametric, pitchGain: 1 }, 400, 'DISPATCH_INVALID_REQUEST'],
      ['PUT', '/execute', { ...parametric, engine: 'fast' }, 400, 'DISPATCH_INVALID_REQUEST'],
      ['PUT', '/execute', { ...parametric, durationS: 0 }, 400, 'DISPATCH_INVALID_REQUEST'],
      ['PUT', '/execute', { ...parametric, controllerParameters: { pitchGain: 1 } }, 400, 'DISPATCH_INVALID_REQUEST'],
      ['PUT', '/execute', { ...parametric, turbulenceIntensity: 0.1 }, 400, 'DISPATCH_INVALID_REQUEST'],
      ['PUT', '/execute', { engine: 'rotor-model', deckId: 'deck-1' }, 400, 'DISPATCH_INVALID_REQUEST'],
      ['PUT', '/execute', { engine: 'openfast', deckId: 'deck-missing' }, 404, 'DISPATCH_NOT_FOUND'],
      ['PUT', '/execute', { engine: 'openfast', deckId: '../../etc' }, 400, 'DISPATCH_INVALID_REQUEST'],
      ['GET', '/status?id=sim-nope', undefined, 404, 'DISPATCH_NOT_FOUND'],
      ['GET', '/status?id=..%2F..%2Fetc', undefined, 400, 'DISPATCH_INVALID_REQUEST'],
      ['GET', '/status?id=a&extra=1', undefined, 400, 'DISPATCH_INVALID_REQUEST'],
      ['DELETE', '/simulation', undefined, 400, 'DISPATCH_INVALID_REQUEST'],
      ['DELETE', '/simulation?id=sim-nope', undefined, 404, 'DISPATCH_NOT_FOUND'],
      ['GET', '/simulations/sim-nope/results', undefined, 404, 'DISPATCH_NOT_FOUND'],
      ['GET', '/simulations/sim-nope/summary', undefined, 404, 'DISPATCH_NOT_FOUND'],
      ['GET', '/simulations/sim-nope/results/passwd', undefined, 400, 'DISPATCH_INVALID_REQUEST'],
      ['GET', '/simulations/sim-nope/results/..%2F..%2Fdeck%2FNREL-5MW.fst', undefined, 400, 'DISPATCH_INVALID_REQUEST'],
      ['POST', '/upload_to_s3', { id: 'sim-nope' }, 404, 'DISPATCH_NOT_FOUND'],
      ['POST', '/upload_to_s3', { id: 'sim-1', prefix: '../up' }, 400, 'DISPATCH_INVALID_REQUEST'],
      ['POST', '/decks', { files: [] }, 400, 'DISPATCH_INVALID_REQUEST'],
      ['GET', '/no-such-route', undefined, 404, 'DISPATCH_NOT_FOUND'],
    ]
    for (const [method, url, payload, statusCode, code] of cases) {
      const res = await app.inject({ method: method as 'GET', url, headers: AUTH, ...(payload ? { payload: payload as object } : {}) })
      expect({ method, url, statusCode: res.statusCode, code: res.json().code }).toEqual({ method, url, statusCode, code })
      expect(res.json().message.length).toBeGreaterThan(5)
    }
    const text = await app.inject({
      method: 'PUT',
      url: '/execute',
      headers: { ...AUTH, 'content-type': 'application/xml' },
      payload: '<x/>',
    })
    expect(text.statusCode).toBe(415)

    // A run that has not finished has no results yet.
    const { id } = (await execute(app)).json()
    for (const url of [`/simulations/${id}/results`, `/simulations/${id}/summary`, `/simulations/${id}/results/simulation.out`]) {
      const res = await app.inject({ method: 'GET', url, headers: AUTH })
      expect([url, res.statusCode, res.json().code]).toEqual([url, 409, 'DISPATCH_NOT_FINISHED'])
    }
    const up = await app.inject({ method: 'POST', url: '/upload_to_s3', headers: AUTH, payload: { id } })
    expect([up.statusCode, up.json().code]).toEqual([409, 'DISPATCH_NOT_FINISHED'])
  })

  it('reports a failed engine run in its status and keeps its log', async () => {
    const exe = await writeFakeOpenfast(dir, 'echo " FAST_InitializeAll: Invalid input" >&2\nexit 3')
    app = await testApp(join(dir, 'data'), {}, exe)
    const { id } = (await execute(app)).json()
    const status = await waitForFinish(app, id)
    expect(status).toMatchObject({ state: 'FAILED', error: expect.stringContaining('exited with code 3') })
    const results = (await app.inject({ method: 'GET', url: `/simulations/${id}/results`, headers: AUTH })).json()
    expect(results.files.map((f: { name: string }) => f.name)).toEqual(['engine.log'])
    expect(results.summary).toBeUndefined()
    const log = await app.inject({ method: 'GET', url: `/simulations/${id}/results/engine.log`, headers: AUTH })
    expect(log.body).toContain('Invalid input')
    const summary = await app.inject({ method: 'GET', url: `/simulations/${id}/summary`, headers: AUTH })
    expect([summary.statusCode, summary.json().code]).toEqual([404, 'DISPATCH_NOT_FOUND'])
  })

  it('answers 413 to a body over the limit', async () => {
    app = await slowOpenfastApp({ limits: { bodyLimitBytes: 2048 } })
    const res = await execute(app, { ...parametric, label: 'x'.repeat(4000) })
    expect([res.statusCode, res.json().code]).toEqual([413, 'DISPATCH_PAYLOAD_TOO_LARGE'])
  })

  it('queues up to the limit, answers 429 when the queue is full, and cancels queued and running runs', async () => {
    app = await slowOpenfastApp({ limits: { maxConcurrentRuns: 1, maxQueuedRuns: 1 } })
    const first = (await execute(app)).json().id
    const second = (await execute(app)).json().id
    const third = await execute(app)
    expect([third.statusCode, third.json().code]).toEqual([429, 'DISPATCH_QUEUE_FULL'])
    const health = (await app.inject({ method: 'GET', url: '/healthz' })).json()
    expect(health).toMatchObject({ status: 'ok', running: 1, queued: 1 })
    await expect
      .poll(async () => (await app!.inject({ method: 'GET', url: `/status?id=${first}`, headers: AUTH })).json().progress)
      .toBe(0.25)
    // Retry-After: when the running run should finish, from its elapsed time and progress (a quarter done: 3x more).
    const { startedAt } = (await app.inject({ method: 'GET', url: `/status?id=${first}`, headers: AUTH })).json()
    const refused = await execute(app)
    const expectedS = Math.ceil((3 * (Date.now() - Date.parse(startedAt))) / 1000)
    expect(refused.statusCode).toBe(429)
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(Math.max(1, expectedS - 1))
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(expectedS + 1)
    expect(refused.json().message).toContain(`retry after ${refused.headers['retry-after']} s`)

    const canceledQueued = await app.inject({ method: 'DELETE', url: `/simulation?id=${second}`, headers: AUTH })
    expect(canceledQueued.json()).toMatchObject({ id: second, state: 'CANCELED' })
    const canceledRunning = await app.inject({ method: 'DELETE', url: `/simulation?id=${first}`, headers: AUTH })
    expect(canceledRunning.json()).toMatchObject({ id: first, state: 'CANCELED' })
    expect(await readdir(join(dir, 'data', 'runs'))).toEqual([])
    expect((await execute(app)).statusCode).toBe(202)
  })
})

describe('POST /decks', () => {
  it('stores an uploaded deck and runs it with the openfast engine', async () => {
    app = await fastOpenfastApp()
    const { payload, headers } = multipartBody(await templateDeckParts(DEFAULT_TEMPLATE_DECK_DIR))
    const res = await app.inject({ method: 'POST', url: '/decks', headers: { ...AUTH, ...headers }, payload })
    expect(res.statusCode).toBe(201)
    const { deckId, entryFile, files } = res.json()
    expect(entryFile).toBe('NREL-5MW.fst')
    expect(files).toContain('Airfoils/DU21_A17.dat')
    const stored = await readFile(join(dir, 'data', 'decks', deckId, 'Airfoils', 'DU21_A17.dat'))
    expect(stored.equals(await readFile(join(DEFAULT_TEMPLATE_DECK_DIR, 'Airfoils', 'DU21_A17.dat')))).toBe(true)

    const run = await execute(app, { engine: 'openfast', deckId, durationS: 4 })
    expect(run.statusCode).toBe(202)
    expect(await waitForFinish(app, run.json().id)).toMatchObject({ state: 'SUCCEEDED', deckId })
  })

  it('refuses a deck without exactly one .fst, an empty upload, and one over the size limit', async () => {
    app = await fastOpenfastApp({ limits: { uploadLimitBytes: 4096 } })
    const post = (parts: { filename: string; content: string }[]) => {
      const { payload, headers } = multipartBody(parts)
      return app!.inject({ method: 'POST', url: '/decks', headers: { ...AUTH, ...headers }, payload })
    }
    const two = await post([
      { filename: 'a.fst', content: 'x' },
      { filename: 'b.fst', content: 'y' },
    ])
    expect([two.statusCode, two.json().code]).toEqual([400, 'DISPATCH_DECK_INVALID'])
    const none = await post([])
    expect(none.statusCode).toBe(400)
    const big = await post([{ filename: 'a.fst', content: 'x'.repeat(10_000) }])
    expect([big.statusCode, big.json().code]).toEqual([413, 'DISPATCH_PAYLOAD_TOO_LARGE'])
    expect(await readdir(join(dir, 'data', 'decks'))).toEqual([])
  })
})

describe('authentication and rate limiting', () => {
  const routes: [string, string, object | undefined][] = [
    ['PUT', '/execute', parametric],
    ['GET', '/status', undefined],
    ['GET', '/status?id=sim-1', undefined],
    ['DELETE', '/simulation?id=sim-1', undefined],
    ['POST', '/upload_to_s3', { id: 'sim-1' }],
    ['GET', '/simulations/sim-1/results', undefined],
    ['GET', '/simulations/sim-1/results/simulation.out', undefined],
    ['GET', '/simulations/sim-1/summary', undefined],
    ['POST', '/decks', { files: [] }],
    ['GET', '/no-such-route', undefined],
  ]

  it('refuses every API route without a token or with a wrong one', async () => {
    app = await fastOpenfastApp()
    const badHeaders: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong-token' },
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Basic ${Buffer.from(`user:${TOKEN}`).toString('base64')}` },
      { authorization: `bearer${TOKEN}` },
      { authorization: `Bearer ${TOKEN} ${TOKEN}` },
    ]
    for (const [method, url, payload] of routes) {
      for (const headers of badHeaders) {
        const res = await app.inject({ method: method as 'GET', url, headers, ...(payload ? { payload } : {}) })
        expect([method, url, headers.authorization, res.statusCode, res.json().code]).toEqual([
          method,
          url,
          headers.authorization,
          401,
          'DISPATCH_UNAUTHORIZED',
        ])
        expect(res.headers['www-authenticate']).toContain('Bearer')
      }
    }
    expect((await app.inject({ method: 'GET', url: '/status' })).statusCode).toBe(401)
    expect((await app.inject({ method: 'GET', url: '/status', headers: AUTH })).statusCode).toBe(200)
  })

  it('refuses to start with authentication on and no token, and runs open only when turned off', async () => {
    const config = testConfig(join(dir, 'data'))
    await expect(buildApp(config, { bearerTokens: [], log: silentLog })).rejects.toMatchObject({ code: 'DISPATCH_CONFIG_INVALID' })
    app = await buildApp(testConfig(join(dir, 'data'), { auth: { enabled: false } }), { bearerTokens: [], log: silentLog })
    expect((await app.inject({ method: 'GET', url: '/status' })).statusCode).toBe(200)
  })

  it('rate-limits a client that sends too many requests', async () => {
    app = await fastOpenfastApp({ limits: { rateLimitPerMinute: 5 } })
    const codes: number[] = []
    for (let i = 0; i < 7; i++) codes.push((await app.inject({ method: 'GET', url: '/status', headers: AUTH })).statusCode)
    expect(codes).toEqual([200, 200, 200, 200, 200, 429, 429])
    const res = await app.inject({ method: 'GET', url: '/status', headers: AUTH })
    expect(res.json().code).toBe('DISPATCH_RATE_LIMITED')
  })
})

describe('/docs', () => {
  it('serves the OpenAPI page and documents every endpoint with its schemas', async () => {
    app = await fastOpenfastApp()
    const page = await app.inject({ method: 'GET', url: '/docs/' })
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-type']).toContain('text/html')
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json()
    const ops: Record<string, string[]> = {
      '/healthz': ['get'],
      '/execute': ['put'],
      '/status': ['get'],
      '/simulation': ['delete'],
      '/upload_to_s3': ['post'],
      '/simulations/{id}/results': ['get'],
      '/simulations/{id}/results/{file}': ['get'],
      '/simulations/{id}/summary': ['get'],
      '/decks': ['post'],
    }
    expect(Object.keys(doc.paths).sort()).toEqual(Object.keys(ops).sort())
    for (const [path, methods] of Object.entries(ops)) {
      for (const m of methods) {
        const op = doc.paths[path][m]
        expect(op.summary, path).toBeTruthy()
        const ok = Object.keys(op.responses).find((c) => c.startsWith('2'))!
        if (path !== '/simulations/{id}/results/{file}') expect(op.responses[ok].content['application/json'].schema, path).toBeDefined()
        if (path !== '/healthz') {
          expect(op.security, path).toEqual([{ bearerAuth: [] }])
          expect(op.responses['401'].content['application/json'].schema.properties.code, path).toBeDefined()
        }
      }
    }
    const execute = doc.paths['/execute'].put.requestBody.content['application/json'].schema
    expect(execute.anyOf).toHaveLength(2)
    expect(Object.keys(execute.anyOf[0].properties)).toContain('windSpeedMps')
    expect(JSON.stringify(doc)).not.toContain('~kind')
    expect(doc.paths['/decks'].post.requestBody.content['multipart/form-data']).toBeDefined()
  })
})
