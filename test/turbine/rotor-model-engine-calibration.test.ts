import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRotorModelEngine } from '@edgetwin/openfast-container'
import { DEFAULT_CALIBRATION, parseOutFile } from '@edgetwin/turbine-model'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/** A calibration that is not the default, so a run that ignored it would show. */
const WEAKER = { id: 'cal-0123456789ab', correction: { cpFactor: 0.9, ctFactor: 0.95, pitchOffsetDeg: 0 } }

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgetwin-rotor-cal-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function runEngine(name: string, calibration?: typeof WEAKER) {
  const engine = createRotorModelEngine({ outputDtS: 0.5, timeoutMs: 120_000, killGraceMs: 1000, calibration })
  const runDir = join(dir, name)
  const result = await engine.run({
    id: name,
    runDir,
    request: { engine: 'rotor-model', windSpeedMps: 7, durationS: 120 },
    onProgress: () => {},
    signal: new AbortController().signal,
  })
  const text = await readFile(result.outFile, 'utf8')
  const out = parseOutFile(text)
  const power = out.columns[out.channels.indexOf('GenPwr')]!
  return { engine, text, lastPowerKw: power[power.length - 1]! }
}

describe('rotor-model engine calibration', () => {
  it('runs with the calibration it is given and names it in its version and in the .out header', async () => {
    const [weaker, standard] = await Promise.all([runEngine('weaker', WEAKER), runEngine('default')])
    expect(weaker.engine.version).toMatch(/calibration cal-0123456789ab$/)
    expect(weaker.text).toMatch(/calibration cal-0123456789ab/)
    expect(standard.engine.version).toContain(`calibration ${DEFAULT_CALIBRATION.id}`)
    expect(standard.text).toContain(`calibration ${DEFAULT_CALIBRATION.id}`)
    // cpFactor 0.90 against the default's 0.96: below rated the steady power falls by several per cent.
    expect(weaker.lastPowerKw).toBeLessThan(0.95 * standard.lastPowerKw)
  })
})
