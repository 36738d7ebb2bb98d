import { createServer, type Server } from 'node:net'
import { buildConsoleApp, isConsoleError, sourcesFromCloud, startConsoleServer } from '@edgetwin/console'
import type { ConsoleLiveUpdate } from '@edgetwin/shared-schemas'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ConsoleCloud, OUTSIDE, startConsoleCloud } from './support/console-cloud.js'

const logger = pino({ level: 'silent' })

/** Reads `event: update` frames from the live stream until `until` says stop; returns them with their arrival times. */
async function readLive(
  url: string,
  until: (updates: ConsoleLiveUpdate[]) => boolean,
): Promise<{ update: ConsoleLiveUpdate; atMs: number }[]> {
  const controller = new AbortController()
  const res = await fetch(url, { signal: controller.signal })
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
  const got: { update: ConsoleLiveUpdate; atMs: number }[] = []
  let buffer = ''
  try {
    while (!until(got.map((g) => g.update))) {
      const { value, done } = await reader.read()
      if (done) break
      buffer += value
      let end = buffer.indexOf('\n\n')
      while (end >= 0) {
        const frame = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const data = frame.split('\n').find((l) => l.startsWith('data: '))
        if (frame.includes('event: update') && data) got.push({ update: JSON.parse(data.slice(6)) as ConsoleLiveUpdate, atMs: Date.now() })
        end = buffer.indexOf('\n\n')
      }
    }
  } finally {
    controller.abort()
  }
  return got
}

describe('console API', () => {
  let env: ConsoleCloud
  beforeAll(async () => {
    env = await startConsoleCloud()
  }, 120_000)
  afterAll(async () => {
    await env?.close()
  })

  const ctx = () => ({ config: env.cloud.config, logger, bus: env.cloud.bus, ingest: env.cloud.ingest, env: {} })

  it('coalesces live updates: 300 vehicles reporting at once reach a client in pushes at least 500 ms apart, one entry per vehicle', async () => {
    const pub = await env.publisher()
    const ids = Array.from({ length: 300 }, (_, i) => `bulk-${String(i).padStart(3, '0')}`)
    const reading = readLive(
      `${env.console.url}api/live`,
      (updates) => new Set(updates.flatMap((u) => u.vehicles.map((v) => v.deviceId))).size >= ids.length,
    )
    // Three rounds of positions per vehicle, every vehicle moving more than the tracker's 30 m filter each time.
    for (let round = 0; round < 3; round++) {
      await Promise.all(
        ids.map((id, i) =>
          pub.publish('vehicle', id, 'position', [
            { sampleTime: new Date(Date.now() + round).toISOString(), lon: OUTSIDE[0] + i * 1e-4 + round * 0.01, lat: OUTSIDE[1] },
          ]),
        ),
      )
    }
    const got = await reading
    const seen = new Set(got.flatMap((g) => g.update.vehicles.map((v) => v.deviceId)))
    expect(seen.size).toBe(ids.length)
    // 900 positions arrived, in far fewer pushes; no two pushes made closer than the 500 ms interval (their
    // server times: arrival times would also measure this busy test process's own reading delays).
    expect(got.length).toBeLessThan(900 / 10)
    const madeMs = got.map((g) => Date.parse(g.update.serverTime))
    for (let i = 1; i < got.length; i++) expect(madeMs[i]! - madeMs[i - 1]!, `push ${i}`).toBeGreaterThanOrEqual(499)
    // One entry per vehicle per push: a vehicle that moved three times between pushes is sent once, at its newest.
    for (const g of got) expect(new Set(g.update.vehicles.map((v) => v.deviceId)).size).toBe(g.update.vehicles.length)
    expect(got.map((g) => g.update.seq)).toEqual([...got.map((g) => g.update.seq)].sort((a, b) => a - b))
  })

  it('refuses a non-loopback bind without a token, naming the variable', async () => {
    const err = await buildConsoleApp({ host: '0.0.0.0', port: 0 }, sourcesFromCloud(ctx(), undefined, undefined), { logger }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(isConsoleError(err, 'CONSOLE_CONFIG_INVALID')).toBe(true)
    expect((err as Error).message).toContain('EDGETWIN_CONSOLE_TOKEN')
  })

  it('with a token, answers /api/ only to a request bearing it (header, or ?token= for EventSource); the page loads without', async () => {
    const { app } = await buildConsoleApp({ host: '0.0.0.0', port: 0 }, sourcesFromCloud(ctx(), undefined, undefined), {
      logger,
      token: 's3cret-token',
    })
    try {
      const none = await app.inject({ url: '/api/devices' })
      expect(none.statusCode).toBe(401)
      expect(none.json()).toMatchObject({ code: 'CONSOLE_UNAUTHORIZED' })
      expect((await app.inject({ url: '/api/devices', headers: { authorization: 'Bearer wrong-token!' } })).statusCode).toBe(401)
      expect((await app.inject({ url: '/api/devices', headers: { authorization: 'Bearer s3cret-token' } })).statusCode).toBe(200)
      const withQuery = await app.inject({ url: '/api/fleet/vehicles/v-1/track?day=2026-11-24&token=s3cret-token' })
      expect(withQuery.statusCode).toBe(200)
      expect((await app.inject({ url: '/fleet' })).statusCode).toBe(200)
    } finally {
      await app.close()
    }
  })

  it('answers bad input with a coded error naming the field and what is allowed', async () => {
    const res = await fetch(`${env.console.url}api/fleet/reports/days-in-zone?from=2026-11-24&to=24-11-2026`)
    expect(res.status).toBe(400)
    const body = (await res.json()) as { code: string; message: string }
    expect(body.code).toBe('CONSOLE_QUERY_INVALID')
    expect(body.message).toContain('/to')
    const reversed = (await (await fetch(`${env.console.url}api/fleet/reports/days-in-zone?from=2026-11-25&to=2026-11-24`)).json()) as {
      code: string
    }
    expect(reversed.code).toBe('CONSOLE_QUERY_INVALID')
  })

  it('lists every route with its schemas in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${env.console.url}api/openapi.json`)).json()) as {
      paths: Record<string, { get: { responses: Record<string, unknown> } }>
    }
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api/devices',
      '/api/fleet/reports/days-in-zone',
      '/api/fleet/reports/replacement',
      '/api/fleet/vehicles',
      '/api/fleet/vehicles/{deviceId}/track',
      '/api/live',
      '/api/settings',
      '/api/turbines',
      '/api/turbines/{deviceId}/series',
      '/api/twin/decisions',
      '/api/twin/jobs/{jobId}',
    ])
    expect(JSON.stringify(doc.paths['/api/fleet/reports/days-in-zone']!.get.responses['200'])).toContain('daysInZone')
  })

  it('fails at once with CONSOLE_PORT_IN_USE when its port is taken', async () => {
    const blocker: Server = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const port = (blocker.address() as { port: number }).port
    try {
      const err = await startConsoleServer({ port }, sourcesFromCloud(ctx(), undefined, undefined), { logger }).then(
        (s) => s.close(),
        (e: unknown) => e,
      )
      expect(isConsoleError(err, 'CONSOLE_PORT_IN_USE')).toBe(true)
      expect((err as Error).message).toContain(String(port))
    } finally {
      blocker.close()
    }
  })
})
