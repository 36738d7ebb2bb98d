import { join } from 'node:path'
import type { DispatchApp } from '@edgetwin/openfast-container'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AUTH, tempDir, testApp } from './support.js'

let dir: string
let cleanup: () => Promise<void>
let app: DispatchApp
beforeAll(async () => {
  ;({ dir, cleanup } = await tempDir())
  app = await testApp(join(dir, 'data'), { limits: { maxQueuedRuns: 0, maxConcurrentRuns: 1 } })
})
afterAll(async () => {
  await app.close()
  await cleanup()
})

const base = { engine: 'rotor-model', windSpeedMps: 12, durationS: 10 }
const execute = (body: object) => app.inject({ method: 'PUT', url: '/execute', headers: AUTH, payload: body })

describe('PUT /execute refuses values the models cannot run, before queueing them', () => {
  const cases: [string, object, RegExp][] = [
    ['a vanishing duration', { durationS: 1e-300 }, /durationS must be >= 1 \(received 1e-300\)/],
    ['a negative rated speed', { controllerParameters: { ratedGeneratorSpeedRpm: -1e12 } }, /ratedGeneratorSpeedRpm must be >= 1/],
    ['zero maximum torque', { controllerParameters: { maxGeneratorTorqueNm: 0 } }, /maxGeneratorTorqueNm must be >= 1 \(received 0\)/],
    ['a huge pitch gain', { controllerParameters: { pitchProportionalGainS: 1e9 } }, /pitchProportionalGainS must be <= 100/],
    ['a zero pitch rate', { controllerParameters: { maxPitchRateDegPerS: 0 } }, /maxPitchRateDegPerS must be >= 0.01/],
    ['an output step below the solver step', { dtS: 0.01, outputDtS: 0.005 }, /outputDtS 0.005 must be at least dtS 0.01/],
    [
      'a deck run of a vanishing duration',
      { engine: 'openfast', deckId: 'deck-1', durationS: 1e-9, windSpeedMps: undefined },
      /durationS must be >= 1/,
    ],
  ]
  for (const [label, patch, message] of cases) {
    it(`refuses ${label} with 400 naming the field`, async () => {
      const res = await execute({ ...base, ...patch })
      expect(res.statusCode).toBe(400)
      expect(res.json()).toMatchObject({ code: 'DISPATCH_INVALID_REQUEST', message: expect.stringMatching(message) })
    })
  }

  it('accepts the bounds themselves (the control case)', async () => {
    const res = await execute({ ...base, durationS: 1, controllerParameters: { maxGeneratorTorqueNm: 1, maxPitchRateDegPerS: 0.01 } })
    expect(res.statusCode).toBe(202)
  })
})
