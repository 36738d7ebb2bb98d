import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { CONSTANTS_JSON, DEFAULT_CALIBRATION_JSON, PERFORMANCE_TABLE_TEXT } from './nrel5mw-data.js'

const read = (name: string) => readFileSync(new URL(`../data/${name}`, import.meta.url), 'utf8')

describe('embedded NREL 5-MW data', () => {
  it('is byte-identical to the files in data/ (regenerate with node turbine-model/scripts/embed-data.mjs)', () => {
    expect(CONSTANTS_JSON).toBe(read('constants.json'))
    expect(PERFORMANCE_TABLE_TEXT).toBe(read('Cp_Ct_Cq.NREL5MW.txt'))
    expect(DEFAULT_CALIBRATION_JSON).toBe(read('calibration.nrel5mw-openfast-4.1.2-baseline.json'))
  })
})
