import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import {
  calibrateFromOutFiles,
  DEFAULT_CALIBRATION,
  formatOutFile,
  type ModelCalibration,
  parseCalibration,
  runSimulation,
  type SimulationOutput,
} from '@edgetwin/turbine-model'
import { describe, expect, it } from 'vitest'
import { aeroPowerW, cpAt, tipSpeedRatio } from './first-principles.js'
import { loadReferences, referenceFiles } from './openfast-reference.js'

/** A correction chosen for the test, different from the default, that calibration must recover. */
const KNOWN = { id: 'known-for-test', correction: { cpFactor: 0.93, ctFactor: 0.9, pitchOffsetDeg: 0.6 } }

/** A steady run of the model with a given correction, written as OpenFAST text with the model's .out writer. */
function syntheticOut(windSpeedMps: number, calibration = KNOWN, drop: string[] = []) {
  const full = runSimulation({ windSpeedMps, durationS: 150, calibration })
  const keep = full.channels.map((c, i) => (drop.includes(c) ? -1 : i)).filter((i) => i >= 0)
  const output: SimulationOutput = {
    channels: keep.map((i) => full.channels[i]!),
    units: keep.map((i) => full.units[i]!),
    columns: keep.map((i) => full.columns[i]!),
  }
  return { name: `synthetic-${windSpeedMps}mps.out`, text: formatOutFile(output, `synthetic ${windSpeedMps} m/s`) }
}

const codeOf = (fn: () => unknown) => {
  try {
    fn()
  } catch (err) {
    return { code: (err as { code?: string }).code, message: (err as Error).message }
  }
  throw new Error('expected an error')
}

describe('calibration from OpenFAST .out files', () => {
  it('recovers a known correction from steady runs across the power curve', () => {
    const files = [6, 8, 10, 14, 18, 22].map((v) => syntheticOut(v))
    const c = calibrateFromOutFiles(files)
    expect(c.fit.pitchOffsetFitted).toBe(true)
    expect(c.fit.ctFactorFitted).toBe(true)
    expect(Math.abs(c.correction.cpFactor - KNOWN.correction.cpFactor)).toBeLessThan(0.003)
    expect(Math.abs(c.correction.pitchOffsetDeg - KNOWN.correction.pitchOffsetDeg)).toBeLessThan(0.05)
    expect(Math.abs(c.correction.ctFactor - KNOWN.correction.ctFactor)).toBeLessThan(0.005)
    expect(c.sources.map((s) => s.name)).toEqual(files.map((f) => f.name))
  })

  it('recovers the Cp factor from GenPwr alone (no RotTorq), through the generator efficiency', () => {
    const files = [7, 9, 15, 20].map((v) => syntheticOut(v, KNOWN, ['RotTorq']))
    const c = calibrateFromOutFiles(files)
    expect(c.fit.points.every((p) => Math.abs(p.powerCoefficientErrorPercent) < 0.5)).toBe(true)
    expect(Math.abs(c.correction.cpFactor - KNOWN.correction.cpFactor)).toBeLessThan(0.005)
  })

  it('leaves the pitch offset at 0 when every run is below rated (it cannot be told from the Cp factor there)', () => {
    const belowRated = { id: 'below', correction: { cpFactor: 0.95, ctFactor: 1, pitchOffsetDeg: 0 } }
    const c = calibrateFromOutFiles([6, 8, 10].map((v) => syntheticOut(v, belowRated)))
    expect(c.fit.pitchOffsetFitted).toBe(false)
    expect(c.correction.pitchOffsetDeg).toBe(0)
    expect(Math.abs(c.correction.cpFactor - 0.95)).toBeLessThan(0.003)
  })

  it('fits the OpenFAST reference points within 0.3 % of their measured Cp and is the shipped default', () => {
    const files = referenceFiles().map((f) => ({ name: basename(f), text: readFileSync(f, 'utf8') }))
    const c = calibrateFromOutFiles(files, { description: DEFAULT_CALIBRATION.description })
    for (const r of loadReferences()) {
      const measuredCp = (r.rotorPowerKw * 1000) / aeroPowerW(r.windSpeedMps, 1)
      const lambda = tipSpeedRatio(r.rotorSpeedRpm, r.windSpeedMps)
      const fitted = c.correction.cpFactor * cpAt(lambda, r.bladePitchDeg + c.correction.pitchOffsetDeg)
      expect(Math.abs(fitted / measuredCp - 1)).toBeLessThan(0.003)
    }
    // The shipped calibration is reproducible from the shipped fixtures.
    expect(c.id).toBe(DEFAULT_CALIBRATION.id)
  })

  it('refuses turbulent wind, a run shorter than the window, a missing channel and a malformed file, naming the file', () => {
    const turbulent = runSimulation({ windSpeedMps: 12, turbulenceIntensity: 0.1, durationS: 60 })
    expect(codeOf(() => calibrateFromOutFiles([{ name: 'turb.out', text: formatOutFile(turbulent) }]))).toMatchObject({
      code: 'MODEL_CALIBRATION_DATA',
      message: expect.stringMatching(/turb\.out: Wind1VelX varies by .* steady wind/),
    })
    const short = runSimulation({ windSpeedMps: 9, durationS: 10 })
    expect(codeOf(() => calibrateFromOutFiles([{ name: 'short.out', text: formatOutFile(short) }]))).toMatchObject({
      code: 'MODEL_CALIBRATION_DATA',
      message: expect.stringMatching(/short\.out: the run covers 10\.00 s, less than the 20 s averaging window/),
    })
    const noSpeed = syntheticOut(9, KNOWN, ['RotSpeed'])
    expect(codeOf(() => calibrateFromOutFiles([noSpeed]))).toMatchObject({
      code: 'MODEL_CALIBRATION_DATA',
      message: expect.stringMatching(/channel RotSpeed \(rpm\) is missing/),
    })
    expect(codeOf(() => calibrateFromOutFiles([{ name: 'junk.out', text: 'not openfast\n' }]))).toMatchObject({
      code: 'MODEL_OUT_FILE_MALFORMED',
      message: expect.stringMatching(/^junk\.out: /),
    })
  })

  it('refuses a run whose rotor has not settled', () => {
    const accelerating = runSimulation({ windSpeedMps: 9, durationS: 30, initialConditions: { rotorSpeedRpm: 3, bladePitchDeg: 0 } })
    expect(codeOf(() => calibrateFromOutFiles([{ name: 'spinup.out', text: formatOutFile(accelerating) }]))).toMatchObject({
      code: 'MODEL_CALIBRATION_DATA',
      message: expect.stringMatching(/RotSpeed changes by .* has not settled/),
    })
  })
})

describe('calibration files', () => {
  const copy = (): ModelCalibration => JSON.parse(JSON.stringify(DEFAULT_CALIBRATION))

  it('refuses a hand-edited correction that keeps the old id', () => {
    const edited = copy()
    edited.correction.cpFactor = 0.99
    expect(codeOf(() => parseCalibration(edited, 'edited.json'))).toMatchObject({
      code: 'MODEL_INVALID_CALIBRATION',
      message: expect.stringMatching(/edited\.json: id 'cal-[0-9a-f]{12}' does not match/),
    })
  })

  it('refuses a factor outside its physical range, naming the field', () => {
    const wild = copy() as unknown as { correction: { cpFactor: number } }
    wild.correction.cpFactor = 3
    expect(codeOf(() => parseCalibration(wild, 'wild.json'))).toMatchObject({
      code: 'MODEL_INVALID_CALIBRATION',
      message: expect.stringMatching(/wild\.json: .*correction\/cpFactor/),
    })
  })
})
