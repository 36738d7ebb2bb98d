import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { DispatchApp } from '@edgetwin/openfast-container'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AUTH, TOKEN, tempDir, testApp } from '../dispatch/support.js'

const run = promisify(execFile)
const root = new URL('../../', import.meta.url).pathname
const cli = (args: string[]) =>
  run(process.execPath, ['--conditions=@edgetwin/source', '--import', 'tsx', 'cli/src/main.ts', ...args], {
    cwd: root,
    env: { ...process.env, EDGETWIN_DISPATCH_TOKEN: TOKEN },
  })
// The dispatch server's rotor-model engine runs with the model's shipped calibration: calibrating from its
// completed runs must give that correction back (read here from the file, not through the model).
const shipped = JSON.parse(
  await readFile(new URL('../../turbine-model/data/calibration.nrel5mw-openfast-4.1.2-baseline.json', import.meta.url), 'utf8'),
)

let dir: string
let cleanup: () => Promise<void>
let app: DispatchApp
let url: string
beforeAll(async () => {
  ;({ dir, cleanup } = await tempDir('edgetwin-calibrate-dispatch-'))
  app = await testApp(join(dir, 'data'))
  url = await app.listen({ host: '127.0.0.1', port: 0 })
})
afterAll(async () => {
  await app.close()
  await cleanup()
})

/** Polls the status until the run has finished (no deadline of its own: the test timeout bounds it). */
async function finished(id: string): Promise<string> {
  for (;;) {
    const { state } = (await app.inject({ method: 'GET', url: `/status?id=${id}`, headers: AUTH })).json()
    if (state !== 'QUEUED' && state !== 'RUNNING') return state
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('edgetwin model calibrate from completed simulations on the dispatch server', () => {
  it('fetches each run by id and recovers the correction the engine ran with', async () => {
    const ids: string[] = []
    for (const windSpeedMps of [7, 10, 16]) {
      const res = await app.inject({
        method: 'PUT',
        url: '/execute',
        headers: AUTH,
        payload: { engine: 'rotor-model', windSpeedMps, durationS: 150, label: `steady ${windSpeedMps}` },
      })
      expect(res.statusCode).toBe(202)
      ids.push(res.json().id)
    }
    for (const id of ids) expect(await finished(id)).toBe('SUCCEEDED')

    const out = join(dir, 'calibration.json')
    await cli(['model', 'calibrate', '--dispatch-url', url, '--simulations', ...ids, '--out', out])
    const c = JSON.parse(await readFile(out, 'utf8'))
    expect(c.sources.map((s: { name: string }) => s.name)).toEqual(ids.map((id) => `${id}.out`))
    expect(Math.abs(c.correction.cpFactor - shipped.correction.cpFactor)).toBeLessThan(0.003)
    expect(Math.abs(c.correction.pitchOffsetDeg - shipped.correction.pitchOffsetDeg)).toBeLessThan(0.05)
    expect(Math.abs(c.correction.ctFactor - shipped.correction.ctFactor)).toBeLessThan(0.005)

    const err = await cli(['model', 'calibrate', '--dispatch-url', url, '--simulations', 'no-such-run', '--out', join(dir, 'x.json')]).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    )
    expect(err?.code).toBe(1)
    expect(err?.stderr).toMatch(
      /\[MODEL_CALIBRATION_DATA\] simulation no-such-run: GET \/simulations\/no-such-run\/results\/simulation\.out answered 404/,
    )
  })
})
