import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import type { DispatchApp } from '@edgetwin/openfast-container'
import { parseOutFile } from '@edgetwin/turbine-model'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AUTH, tempDir, testApp, waitForFinish } from './support.js'

/** This test process's child processes that run the rotor-model entry. */
function rotorModelChildren(): string[] {
  let out = ''
  try {
    out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' })
  } catch {
    // ps exits 1 when there is no such process.
  }
  return out.split('\n').filter((l) => l.includes('rotor-model-child'))
}

let dir: string
let cleanup: () => Promise<void>
let app: DispatchApp
beforeEach(async () => {
  ;({ dir, cleanup } = await tempDir())
  app = await testApp(join(dir, 'data'))
})
afterEach(async () => {
  await app.close()
  await cleanup()
})

describe('rotor-model engine through the API', () => {
  it('runs a turbulent above-rated simulation from PUT /execute to the summary', async () => {
    const res = await app.inject({
      method: 'PUT',
      url: '/execute',
      headers: AUTH,
      payload: { engine: 'rotor-model', windSpeedMps: 16, turbulenceIntensity: 0.12, seed: 7, durationS: 60, label: 'above rated' },
    })
    expect(res.statusCode).toBe(202)
    const { id } = res.json()
    // The server answers while the model runs in its child process.
    const health = await app.inject({ method: 'GET', url: '/healthz' })
    expect(health.json().running + health.json().queued).toBe(1)

    const status = await waitForFinish(app, id, 60_000)
    expect(status).toMatchObject({ state: 'SUCCEEDED', progress: 1, engine: 'rotor-model' })

    const results = (await app.inject({ method: 'GET', url: `/simulations/${id}/results`, headers: AUTH })).json()
    expect(results.files.map((f: { name: string }) => f.name)).toContain('simulation.out')
    const outText = (await app.inject({ method: 'GET', url: `/simulations/${id}/results/simulation.out`, headers: AUTH })).body
    const output = parseOutFile(outText)
    const time = output.columns[output.channels.indexOf('Time')]
    expect(time.at(-1)! - time[0]).toBeCloseTo(60, 0)

    const summary = results.summary
    expect(summary.durationS).toBeCloseTo(60, 0)
    // Above rated, the pitch controller holds the generator near its rated 1173.7 rpm.
    expect(summary.channels.GenSpeed.mean).toBeGreaterThan(1173.7 * 0.9)
    expect(summary.channels.GenSpeed.mean).toBeLessThan(1173.7 * 1.1)
    expect(summary.channels.GenSpeed.std).toBeGreaterThan(0)
    expect(summary.channels.BldPitch1.mean).toBeGreaterThan(3)
    // Bounds on the over-speed episodes from the served output itself, independent of how the summary counts them:
    // an episode starts only when the (low-pass filtered) generator speed rises above the alarm threshold, which
    // needs a raw sample above it, and a new episode needs the speed to have dropped below the threshold again.
    // So: none when no sample exceeds the threshold; never more than the raw upward crossings (plus one if the run
    // starts above it).
    const OVERSPEED_RPM = 1291.07 // the NREL 5-MW baseline controller's alarm, the default the request leaves in force
    const gen = output.columns[output.channels.indexOf('GenSpeed')]!
    let crossings = gen[0]! > OVERSPEED_RPM ? 1 : 0
    for (let i = 1; i < gen.length; i++) if (gen[i - 1]! <= OVERSPEED_RPM && gen[i]! > OVERSPEED_RPM) crossings++
    expect(Number.isInteger(summary.overspeedExceedances)).toBe(true)
    expect(summary.overspeedExceedances).toBeLessThanOrEqual(crossings)
    if (crossings === 0) expect(summary.overspeedExceedances).toBe(0)

    // Same request and seed, same model: the same summary.
    const again = (
      await app.inject({
        method: 'PUT',
        url: '/execute',
        headers: AUTH,
        payload: { engine: 'rotor-model', windSpeedMps: 16, turbulenceIntensity: 0.12, seed: 7, durationS: 60 },
      })
    ).json()
    await waitForFinish(app, again.id, 60_000)
    const summary2 = (await app.inject({ method: 'GET', url: `/simulations/${again.id}/summary`, headers: AUTH })).json()
    expect(summary2.channels).toEqual(summary.channels)
  })

  it('cancels a long rotor-model run and stops its child process', async () => {
    const { id } = (
      await app.inject({
        method: 'PUT',
        url: '/execute',
        headers: AUTH,
        payload: { engine: 'rotor-model', windSpeedMps: 12, durationS: 7200, dtS: 0.001 },
      })
    ).json()
    await expect
      .poll(async () => (await app.inject({ method: 'GET', url: `/status?id=${id}`, headers: AUTH })).json().progress, { timeout: 30_000 })
      .toBeGreaterThan(0)
    expect(rotorModelChildren()).toHaveLength(1)
    const del = await app.inject({ method: 'DELETE', url: `/simulation?id=${id}`, headers: AUTH })
    expect(del.json()).toMatchObject({ state: 'CANCELED' })
    expect(del.json().progress).toBeLessThan(1)
    // DELETE answers once the run has stopped: its child process is gone.
    expect(rotorModelChildren()).toEqual([])
  })
})
