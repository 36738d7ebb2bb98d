import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { formatOutFile, runSimulation } from '@edgetwin/turbine-model'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readOutColumns, referenceFiles } from './openfast-reference.js'

const run = promisify(execFile)
const root = new URL('../../', import.meta.url).pathname
const cli = (args: string[]) =>
  run(process.execPath, ['--conditions=@edgetwin/source', '--import', 'tsx', 'cli/src/main.ts', ...args], { cwd: root })
const shipped = JSON.parse(
  await readFile(new URL('../../turbine-model/data/calibration.nrel5mw-openfast-4.1.2-baseline.json', import.meta.url), 'utf8'),
)

describe('edgetwin model calibrate', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgetwin-calibrate-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('fits the OpenFAST reference runs, writes the calibration file, and model run uses it', async () => {
    const calibration = join(dir, 'calibration.json')
    const { stdout } = await cli([
      'model',
      'calibrate',
      '--out-files',
      ...referenceFiles(),
      '--out',
      calibration,
      '--description',
      'reference',
    ])
    expect(stdout).toMatch(/nrel5mw-baseline-16mps\.out +16\.00 +12\.100 +11\.52/)
    const written = JSON.parse(await readFile(calibration, 'utf8'))
    // The same runs give the same correction (and so the same id) as the calibration shipped with the model.
    expect(written.correction).toEqual(shipped.correction)
    expect(written.id).toBe(shipped.id)
    expect(stdout).toContain(`calibration ${shipped.id}: cpFactor 0.9626`)

    // A hand-edited calibration (cpFactor changed, id kept) is refused, naming the file.
    const weaker = { ...written, correction: { ...written.correction, cpFactor: 0.9 } }
    await writeFile(join(dir, 'edited.json'), JSON.stringify(weaker))
    const refused = await cli([
      'model',
      'run',
      '--wind-speed',
      '7',
      '--tmax',
      '5',
      '--calibration',
      join(dir, 'edited.json'),
      '--out',
      join(dir, 'x.out'),
    ]).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    )
    expect(refused?.code).toBe(1)
    expect(refused?.stderr).toMatch(/\[MODEL_INVALID_CALIBRATION\] .*edited\.json: id .* does not match/)

    const out = join(dir, 'run.out')
    await cli(['model', 'run', '--wind-speed', '7', '--tmax', '120', '--calibration', calibration, '--out', out])
    const text = await readFile(out, 'utf8')
    expect(text).toContain(`calibration ${shipped.id}`)
    const power = readOutColumns(text).GenPwr!
    expect(Math.abs(power.at(-1)! / 1105.41 - 1)).toBeLessThan(0.02)
  })

  it('refuses a calibration file that is not JSON, naming it', async () => {
    await writeFile(join(dir, 'bad.json'), 'cpFactor = 0.9\n')
    const err = await cli([
      'model',
      'run',
      '--wind-speed',
      '7',
      '--tmax',
      '1',
      '--calibration',
      join(dir, 'bad.json'),
      '--out',
      join(dir, 'y.out'),
    ]).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    )
    expect(err?.code).toBe(1)
    expect(err?.stderr).toMatch(/\[MODEL_INVALID_CALIBRATION\] .*bad\.json: not a JSON calibration file/)
  })

  it('refuses a turbulent run, naming the file and the channel', async () => {
    const turbulent = join(dir, 'turbulent.out')
    await writeFile(turbulent, formatOutFile(runSimulation({ windSpeedMps: 12, turbulenceIntensity: 0.1, durationS: 60 })))
    const err = await cli(['model', 'calibrate', '--out-files', turbulent, '--out', join(dir, 'never.json')]).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    )
    expect(err?.code).toBe(1)
    expect(err?.stderr).toMatch(/\[MODEL_CALIBRATION_DATA\] turbulent\.out: Wind1VelX varies by/)
  })
})
