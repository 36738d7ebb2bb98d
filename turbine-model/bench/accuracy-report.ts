/**
 * The accuracy half of `npm run bench:model`: the model's steady state (120 s of steady wind, means of the last
 * 20 s, as the OpenFAST figures were taken) against the OpenFAST v4.1.2 reference points of `data/openfast-reference/`,
 * with the error at each point; then the model's power curve from cut-in to cut-out, which is a prediction (no
 * OpenFAST figures at those wind speeds here), beside the uncalibrated rigid rotor.
 */
import { readdirSync, readFileSync } from 'node:fs'
import {
  DEFAULT_CALIBRATION,
  parseOutFile,
  RIGID_ROTOR_CALIBRATION,
  type RunOptions,
  runSimulation,
  type SimulationOutput,
} from '../src/index.js'

const RUN_S = 120
const WINDOW_S = 20

/** Means of every channel over the last WINDOW_S seconds. */
function tailMeans(output: SimulationOutput): Record<string, number> {
  const means: Record<string, number> = {}
  const time = output.columns[0]!
  const end = time[time.length - 1]!
  const from = time.findIndex((t) => t >= end - WINDOW_S - 1e-9)
  output.channels.forEach((name, i) => {
    const c = output.columns[i]!
    let sum = 0
    for (let k = from; k < c.length; k++) sum += c[k]!
    means[name] = sum / (c.length - from)
  })
  return means
}

const modelSteadyState = (windSpeedMps: number, calibration?: RunOptions['calibration']) =>
  tailMeans(runSimulation({ windSpeedMps, durationS: RUN_S, calibration }))

const pct = (model: number, reference: number) => `${((model / reference - 1) * 100).toFixed(2).padStart(6)} %`
const num = (v: number, digits: number, width: number) => v.toFixed(digits).padStart(width)

/** Prints both tables; returns the largest |error| at the reference points: power, speed (fractions), pitch (deg), thrust. */
export function printAccuracyReport(write: (line: string) => void): { power: number; speed: number; pitchDeg: number; thrust: number } {
  const dir = new URL('../data/openfast-reference/', import.meta.url)
  const references = readdirSync(dir)
    .filter((f) => f.endsWith('.out'))
    .sort()
    .map((f) => tailMeans(parseOutFile(readFileSync(new URL(f, dir), 'utf8'))))
  write(
    `accuracy against OpenFAST v4.1.2 (NREL 5-MW land-based, baseline controller; ${RUN_S} s steady wind, means of the last ${WINDOW_S} s)`,
  )
  write(`calibration in force ${DEFAULT_CALIBRATION.id}: ${JSON.stringify(DEFAULT_CALIBRATION.correction)}`)
  write(
    'wind m/s |  GenPwr kW OpenFAST   model    error | RotSpeed rpm OpenFAST  model    error | pitch ° OpenFAST model  diff | RotThrust kN OpenFAST model  error',
  )
  const worst = { power: 0, speed: 0, pitchDeg: 0, thrust: 0 }
  for (const r of references) {
    const wind = r.Wind1VelX!
    const m = modelSteadyState(wind)
    const genPwrKw = r.GenPwr!
    const rotorRpm = r.RotSpeed!
    const pitchDeg = r.BldPitch1!
    const thrustKn = r.RotThrust!
    worst.power = Math.max(worst.power, Math.abs(m.GenPwr! / genPwrKw - 1))
    worst.speed = Math.max(worst.speed, Math.abs(m.RotSpeed! / rotorRpm - 1))
    worst.pitchDeg = Math.max(worst.pitchDeg, Math.abs(m.BldPitch1! - pitchDeg))
    worst.thrust = Math.max(worst.thrust, Math.abs(m.RotThrust! / thrustKn - 1))
    write(
      `${num(wind, 1, 8)} | ${num(genPwrKw, 1, 19)} ${num(m.GenPwr!, 1, 7)} ${pct(m.GenPwr!, genPwrKw)} | ` +
        `${num(rotorRpm, 3, 21)} ${num(m.RotSpeed!, 3, 6)} ${pct(m.RotSpeed!, rotorRpm)} | ` +
        `${num(pitchDeg, 2, 16)} ${num(m.BldPitch1!, 2, 5)} ${num(m.BldPitch1! - pitchDeg, 2, 5)} | ` +
        `${num(thrustKn, 1, 21)} ${num(m.RotThrust!, 1, 5)} ${pct(m.RotThrust!, thrustKn)}`,
    )
  }
  write('(tolerance: power and speed 2 %, pitch 1°, thrust 5 %)')
  write('')
  write('power curve of the calibrated model, cut-in to cut-out: predictions, NOT verified against OpenFAST except at the rows above')
  write('wind m/s | GenPwr kW | RotSpeed rpm | pitch ° | RotThrust kN | rigid-rotor GenPwr kW (uncalibrated)')
  for (let v = 4; v <= 25; v++) {
    const m = modelSteadyState(v)
    const rigid = modelSteadyState(v, RIGID_ROTOR_CALIBRATION)
    write(
      `${num(v, 1, 8)} | ${num(m.GenPwr!, 1, 9)} | ${num(m.RotSpeed!, 3, 12)} | ${num(m.BldPitch1!, 2, 7)} | ${num(m.RotThrust!, 1, 12)} | ${num(rigid.GenPwr!, 1, 9)}`,
    )
  }
  return worst
}
