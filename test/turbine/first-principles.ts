import { readFileSync } from 'node:fs'

/**
 * An independent reading of the published NREL 5-MW data for the accuracy tests: its own parser of ROSCO's
 * Cp table and its own bilinear interpolation, so the tests do not check the model against itself.
 */
const dataDir = new URL('../../turbine-model/data/', import.meta.url)

export const constants = JSON.parse(readFileSync(new URL('constants.json', dataDir), 'utf8'))
export const RHO = 1.225
export const RADIUS_M = constants.rotor.rotorDiameterM / 2
export const AREA_M2 = Math.PI * RADIUS_M ** 2
export const GEARBOX = constants.drivetrain.gearboxRatio as number
export const EFFICIENCY = constants.drivetrain.generatorEfficiency as number
export const RATED_MECHANICAL_W = constants.baselineController.ratedMechanicalPowerW as number

const blocks = readFileSync(new URL('Cp_Ct_Cq.NREL5MW.txt', dataDir), 'utf8')
  .split('\n')
  .filter((l) => /\d/.test(l) && !l.startsWith('#'))
  .map((l) => l.trim().split(/\s+/).map(Number))
const pitchAxis = blocks[0]!
const tsrAxis = blocks[1]!
const cpRows = blocks.slice(3, 3 + tsrAxis.length)

function bracket(axis: number[], x: number): [number, number] {
  let i = 0
  while (i < axis.length - 2 && axis[i + 1]! <= x) i++
  return [i, (x - axis[i]!) / (axis[i + 1]! - axis[i]!)]
}

/** Cp of the published table at (tip-speed ratio, pitch in degrees), bilinear. */
export function cpAt(tsr: number, pitchDeg: number): number {
  const [i, fx] = bracket(tsrAxis, tsr)
  const [j, fy] = bracket(pitchAxis, pitchDeg)
  const v = (r: number, c: number) => cpRows[r]![c]!
  const low = v(i, j) * (1 - fy) + v(i, j + 1) * fy
  const high = v(i + 1, j) * (1 - fy) + v(i + 1, j + 1) * fy
  return low * (1 - fx) + high * fx
}

/** Aerodynamic power available to a rotor with power coefficient `cp` (W). */
export const aeroPowerW = (windMps: number, cp: number) => 0.5 * RHO * AREA_M2 * windMps ** 3 * cp

export const tipSpeedRatio = (rotorRpm: number, windMps: number) => (rotorRpm * Math.PI * RADIUS_M) / (30 * windMps)

/** The maximum of Cp over tip-speed ratio at a pitch, by a fine scan of the table: [tsr, cp]. */
export function peakCp(pitchDeg: number): [number, number] {
  let best: [number, number] = [0, Number.NEGATIVE_INFINITY]
  for (let tsr = tsrAxis[0]!; tsr <= tsrAxis[tsrAxis.length - 1]!; tsr += 0.01) {
    const cp = cpAt(tsr, pitchDeg)
    if (cp > best[1]) best = [tsr, cp]
  }
  return best
}

/** Pitch at which the rotor at `tsr` captures `powerW` in `windMps`, by bisection on the table (deg). */
export function pitchForPower(windMps: number, tsr: number, powerW: number): number {
  const cpNeeded = powerW / aeroPowerW(windMps, 1)
  let lo = 0
  let hi = 30
  for (let k = 0; k < 60; k++) {
    const mid = (lo + hi) / 2
    if (cpAt(tsr, mid) > cpNeeded) lo = mid
    else hi = mid
  }
  return (lo + hi) / 2
}
