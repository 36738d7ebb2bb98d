import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { summarizeOutFile } from '@edgetwin/openfast-container'
import { formatOutFile, parseOutFile, runSimulation, summarizeOutput } from '@edgetwin/turbine-model'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from './support.js'

let dir: string
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ dir, cleanup } = await tempDir())
})
afterEach(() => cleanup())

describe('streaming post-processor', () => {
  it('agrees with summarizeOutput of the whole file (statistics and over-speed episodes)', async () => {
    const out = join(dir, 'simulation.out')
    const output = runSimulation({ windSpeedMps: 16, turbulenceIntensity: 0.2, seed: 7, durationS: 300, outputDtS: 0.05 })
    await writeFile(out, formatOutFile(output, 'post-processor agreement'))
    const thresholdRpm = 1190
    const streamed = await summarizeOutFile(out, join(dir, 'summary.json'), {
      id: 'sim-1',
      engine: 'rotor-model',
      engineVersion: 'test',
      overspeedGeneratorRpm: thresholdRpm,
    })
    const whole = summarizeOutput(parseOutFile(await readFile(out, 'utf8')), { overspeedGeneratorRpm: thresholdRpm })
    expect(whole.overspeedExceedances).toBeGreaterThan(1)
    expect(streamed.overspeedExceedances).toBe(whole.overspeedExceedances)
    expect(streamed.durationS).toBe(whole.durationS)
    for (const [name, s] of Object.entries(streamed.channels)) {
      const w = whole.channels[name]!
      expect([name, s.max, s.min]).toEqual([name, w.max, w.min])
      expect(s.mean).toBeCloseTo(w.mean, 9)
      expect(s.std).toBeCloseTo(w.std, 9)
    }
    expect(Object.keys(streamed.channels)).toContain('GenSpeed')
    expect(JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8'))).toEqual(streamed)
  })

  it('refuses a file without a channel row, with a coded error', async () => {
    const out = join(dir, 'bad.out')
    await writeFile(out, 'just text\nno channels\n')
    await expect(
      summarizeOutFile(out, join(dir, 's.json'), { id: 'x', engine: 'openfast', engineVersion: '4.1.2', overspeedGeneratorRpm: 1200 }),
    ).rejects.toMatchObject({ code: 'DISPATCH_ENGINE_FAILED', message: expect.stringContaining('no channel row') })
  })
})
