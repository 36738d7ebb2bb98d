import { describe, expect, it } from 'vitest'
import { formatOutFile, parseOutFile } from './out-file.js'
import { runSimulation } from './simulation.js'

// Shape of a file written by OpenFAST v3/v4 (header, tab-separated names, units in parentheses, F10.4 / ES10.3E2).
const OPENFAST_SAMPLE = [
  '',
  ' Predictions were generated on 21-Jul-2023 at 10:56:34 using OpenFAST, compiled as a 64-bit application using double precision at commit v3.5.0',
  ' linked with  NWTC Subroutine Library; ElastoDyn; InflowWind; AeroDyn; ServoDyn',
  '',
  ' Description from the FAST input file: NREL 5.0 MW Baseline Wind Turbine (Onshore)',
  '',
  'Time\tWind1VelX\tBldPitch1\tRotSpeed\tGenSpeed\tGenPwr\tGenTq\tRotThrust\tRotTorq\tTwrBsMyt',
  '(s)\t(m/s)\t(deg)\t(rpm)\t(rpm)\t(kW)\t(kN-m)\t(kN)\t(kN-m)\t(kN-m)',
  '    0.0000\t  1.200E+01\t  3.820E+00\t  1.210E+01\t  1.174E+03\t  5.000E+03\t  4.309E+01\t  6.010E+02\t  4.169E+03\t  4.590E+04',
  '    0.0500\t  1.201E+01\t  3.818E+00\t  1.210E+01\t  1.174E+03\t  4.998E+03\t  4.309E+01\t  6.020E+02\t  4.171E+03\t -4.610E+04',
  '',
].join('\n')

describe('OpenFAST .out files', () => {
  it('carries the calibration the model ran with in the header, and none for OpenFAST output', () => {
    const out = runSimulation({
      windSpeedMps: 9,
      durationS: 1,
      calibration: { id: 'cal-00000000abcd', correction: { cpFactor: 0.95, ctFactor: 1, pitchOffsetDeg: 0 } },
    })
    const text = formatOutFile(out, 'provenance')
    expect(text.split('\n')[2]).toMatch(/, calibration cal-00000000abcd$/)
    expect(parseOutFile(text).calibrationId).toBe('cal-00000000abcd')
    expect(parseOutFile(OPENFAST_SAMPLE).calibrationId).toBeUndefined()
  })

  it('round-trips a run within the ES10.3E2 precision', () => {
    const out = runSimulation({ windSpeedMps: 11, turbulenceIntensity: 0.1, durationS: 5 })
    const parsed = parseOutFile(formatOutFile(out, 'round trip'))
    expect(parsed.channels).toEqual(out.channels)
    expect(parsed.units).toEqual(out.units)
    expect(parsed.columns[0]!.length).toBe(out.columns[0]!.length)
    out.columns.forEach((col, c) => {
      col.forEach((v, r) => {
        expect(Math.abs(parsed.columns[c]![r]! - v)).toBeLessThanOrEqual(Math.max(Math.abs(v) * 5.1e-4, 5e-5))
      })
    })
  })

  it('writes the OpenFAST layout: names row, units in parentheses, fixed-width numbers', () => {
    const text = formatOutFile(runSimulation({ windSpeedMps: 8, durationS: 0.1 }))
    const lines = text.split('\n')
    const names = lines.findIndex((l) => l.startsWith('Time\t'))
    expect(lines[names]).toBe('Time\tWind1VelX\tRotSpeed\tGenSpeed\tGenTq\tGenPwr\tBldPitch1\tRotThrust\tRotTorq')
    expect(lines[names + 1]).toBe('(s)\t(m/s)\t(rpm)\t(rpm)\t(kN-m)\t(kW)\t(deg)\t(kN)\t(kN-m)')
    expect(lines[names + 2]).toMatch(/^ {4}0\.0000\t 8\.000E\+00\t/)
  })

  it("reads a file in OpenFAST's own layout, with channels it does not write", () => {
    const parsed = parseOutFile(OPENFAST_SAMPLE)
    expect(parsed.channels).toHaveLength(10)
    expect(parsed.units[9]).toBe('kN-m')
    expect(Array.from(parsed.columns[4]!)).toEqual([1174, 1174])
    expect(parsed.columns[9]![1]).toBe(-46100)
  })

  it('rejects text that is not an .out file, and a row with a missing value', () => {
    expect(() => parseOutFile('hello\nworld')).toThrow(expect.objectContaining({ code: 'MODEL_OUT_FILE_MALFORMED' }))
    const broken = OPENFAST_SAMPLE.replace('\t -4.610E+04', '')
    expect(() => parseOutFile(broken)).toThrow(expect.objectContaining({ code: 'MODEL_OUT_FILE_MALFORMED' }))
  })
})
