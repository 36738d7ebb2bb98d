import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createDispatchClient, isCloudError, simulateAndDecide } from '@edgetwin/cloud'
import { type DispatchServer, parseDispatchConfig, startDispatchServer } from '@edgetwin/openfast-container'
import { CONTROLLER_PARAMETER_DEFAULTS, type SimulationRequest, type TwinDecisionInputs } from '@edgetwin/shared-schemas'
import { MODEL_VERSION } from '@edgetwin/turbine-model'
import pino from 'pino'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type Refusal, startThrottlingProxy, type ThrottlingProxy } from './support/throttling-proxy.js'

/**
 * The twin's dispatch client against the real dispatch server (rotor-model engine) under load: the server's own
 * 429 when its run slots and queue are full, and 429/503 with `Retry-After` from a real HTTP hop in front of it.
 */
const token = randomBytes(32).toString('hex')
const dataDir = mkdtempSync(join(tmpdir(), 'edgetwin-twin-throttle-'))
let server: DispatchServer
const proxies: ThrottlingProxy[] = []

beforeAll(async () => {
  server = await startDispatchServer(
    parseDispatchConfig({
      port: 0,
      dataDir,
      logLevel: 'warn',
      // Two runs at a time and no queue: every submission beyond them is refused with 429 (DISPATCH_QUEUE_FULL).
      limits: { maxConcurrentRuns: 2, maxQueuedRuns: 0, rateLimitPerMinute: 1_000_000 },
    }),
    { bearerTokens: [token], log: pino({ level: 'silent' }) },
  )
})
afterEach(async () => {
  for (const p of proxies.splice(0)) await p.close()
})
afterAll(async () => {
  await server?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

async function proxy(refuse: (r: { method: string; path: string; body: string }, i: number) => Refusal | undefined) {
  const p = await startThrottlingProxy(server.url, refuse)
  proxies.push(p)
  return p
}

const request = (seed: number): SimulationRequest => ({
  engine: 'rotor-model',
  windSpeedMps: 14,
  turbulenceIntensity: 0.1,
  seed,
  durationS: 5,
})
const client = (baseUrl: string, extra: Partial<Parameters<typeof createDispatchClient>[0]> = {}) =>
  createDispatchClient({ baseUrl, token, pollIntervalMs: 50, uploadResults: false, retryBaseDelayMs: 50, retryMaxDelayMs: 1000, ...extra })

async function serverState(id: string): Promise<string> {
  const res = await fetch(`${server.url}/status?id=${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${token}` } })
  return ((await res.json()) as { state: string }).state
}

describe('twin dispatch client under load', () => {
  it('finishes all 10 runs sent 10 at a time to a server that runs two and queues none, retrying its 429s', async () => {
    const hop = await proxy(() => undefined)
    const runner = client(hop.url, { maxConcurrent: 10, runTimeoutMs: 240_000 })
    const outs = await Promise.all(Array.from({ length: 10 }, (_, i) => runner.run(request(i + 1))))
    const ids = outs.map((o) => o.simulationId)
    expect(new Set(ids).size).toBe(10)
    for (const id of ids) expect(await serverState(id)).toBe('SUCCEEDED')
    const refused = hop.requests.filter((r) => r.method === 'PUT' && r.status === 429)
    expect(refused.length).toBeGreaterThan(0)
    // Accepted submissions are exactly the runs: a refused one was sent again, never dropped or doubled.
    expect(hop.requests.filter((r) => r.method === 'PUT' && r.status === 202)).toHaveLength(10)
  }, 300_000)

  it('waits as long as Retry-After says before asking again', async () => {
    let statusPolls = 0
    // The first two status polls are refused with `Retry-After: 1`.
    const hop = await proxy((r) => (r.path.startsWith('/status') && ++statusPolls <= 2 ? { status: 429, retryAfter: '1' } : undefined))
    const out = await client(hop.url).run(request(1))
    expect(await serverState(out.simulationId)).toBe('SUCCEEDED')
    const polls = hop.requests.filter((r) => r.path.startsWith('/status'))
    expect(polls.slice(0, 3).map((r) => r.status)).toEqual([429, 429, 200])
    expect(polls[1]!.atMs - polls[0]!.atMs).toBeGreaterThanOrEqual(995)
    expect(polls[2]!.atMs - polls[1]!.atMs).toBeGreaterThanOrEqual(995)
  }, 60_000)

  it('gives up at once, with a coded error, when Retry-After lies beyond the run deadline', async () => {
    const hop = await proxy((r) => (r.method === 'PUT' ? { status: 503, retryAfter: '3600' } : undefined))
    const started = Date.now()
    const err = await client(hop.url, { runTimeoutMs: 5000 })
      .run(request(1))
      .then(
        () => undefined,
        (e: unknown) => e,
      )
    expect(isCloudError(err, 'CLOUD_DISPATCH_THROTTLED')).toBe(true)
    expect((err as Error).message).toMatch(/PUT \/execute answered 503 1 time\(s\) \(Retry-After 3600 s\)/)
    expect(hop.requests.filter((r) => r.method === 'PUT')).toHaveLength(1)
    expect(Date.now() - started).toBeLessThan(5000)
  }, 60_000)

  it('defers the decision when a candidate lacks a seed, and states how many seeds each controller has', async () => {
    const candidate = { pitchProportionalGainS: CONTROLLER_PARAMETER_DEFAULTS.pitchProportionalGainS * 1.25 }
    // Every submission of the candidate's seed 3 is refused for an hour: that run can never finish.
    const hop = await proxy((r) => {
      if (r.method !== 'PUT') return undefined
      const body = JSON.parse(r.body) as SimulationRequest
      const gain = body.controllerParameters?.pitchProportionalGainS
      return body.seed === 3 && gain === candidate.pitchProportionalGainS ? { status: 429, retryAfter: '3600' } : undefined
    })
    const inputs: TwinDecisionInputs = {
      conditions: {
        windowStart: '2026-11-30T12:00:00.000Z',
        windowEnd: '2026-11-30T12:10:00.000Z',
        meanWindSpeedMps: 14,
        turbulenceIntensity: 0.15,
        overspeedEpisodes: 3,
        maxRotorSpeedRpm: 13.9,
        powerRatio: 0.97,
      },
      detector: { overspeedEpisodesPerWindow: 1, minSamples: 60, cooldownMinutes: 30 },
      parametersInForce: { version: 0, parameters: { ...CONTROLLER_PARAMETER_DEFAULTS } },
      controllers: [
        { name: 'current', patch: null },
        { name: 'pitch-x1.25', patch: candidate },
      ],
      seeds: [1, 2, 3],
      simulation: { engine: 'rotor-model', windSpeedMps: 14, turbulenceIntensity: 0.15, durationS: 10, dtS: 0.01, outputDtS: 0.05 },
      postProcessing: { overspeedGeneratorRpm: CONTROLLER_PARAMETER_DEFAULTS.overspeedAlarmGeneratorSpeedRpm },
      decisionRule: { maxPowerLossFraction: 0.05 },
      model: { modelVersion: MODEL_VERSION, calibration: null },
    }
    const run = await simulateAndDecide(inputs, client(hop.url, { maxConcurrent: 6, runTimeoutMs: 60_000 }), { label: 'throttle test' })
    expect(run.decision.action).toBe('defer')
    expect(run.decision.reason).toMatch(/pitch-x1\.25 2\/3 \(seed 3 missing\)/)
    expect(run.decision.aggregates.map((a) => [a.name, a.seedsFinished, a.seedsExpected])).toEqual([
      ['current', 3, 3],
      ['pitch-x1.25', 2, 3],
    ])
    expect(Object.keys(run.simulationIds['current'] ?? {}).sort()).toEqual(['1', '2', '3'])
    expect(Object.keys(run.simulationIds['pitch-x1.25'] ?? {}).sort()).toEqual(['1', '2'])
    expect(run.failures['pitch-x1.25']?.['3']).toMatch(/answered 429 .*Retry-After 3600 s/)
  }, 120_000)
})
