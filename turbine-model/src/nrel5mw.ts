import { readFileSync } from 'node:fs'
import { ModelError } from './errors.js'
import { type PerformanceTable, parsePerformanceTable } from './performance-table.js'

/** The published constants the model uses (`data/constants.json`, NREL/TP-500-38060), units in the names. */
export interface Nrel5mwConstants {
  readonly rotor: {
    readonly bladeCount: number
    readonly rotorDiameterM: number
    readonly hubHeightM: number
    readonly cutInWindMps: number
    readonly ratedWindMps: number
    readonly cutOutWindMps: number
    readonly ratedRotorSpeedRpm: number
  }
  readonly drivetrain: {
    readonly gearboxRatio: number
    readonly ratedGeneratorSpeedRpm: number
    readonly generatorEfficiency: number
    readonly drivetrainInertiaCastToLssKgM2: number
  }
  readonly baselineController: {
    readonly generatorSpeedFilterCornerHz: number
    readonly region2TorqueGainNmPerRpm2: number
    readonly ratedMechanicalPowerW: number
    readonly ratedElectricalPowerW: number
    readonly region1To15GeneratorSpeedRpm: number
    readonly region15To2GeneratorSpeedRpm: number
    readonly region25To3GeneratorSpeedRpm: number
    readonly region25GeneratorSlipPercent: number
    readonly minPitchForRegion3TorqueDeg: number
    readonly maxGeneratorTorqueNm: number
    readonly maxGeneratorTorqueRateNmps: number
    readonly minPitchDeg: number
    readonly maxPitchDeg: number
    readonly pitchAtWhichAeroPowerSensitivityDoublesDeg: number
  }
}

/** Air density of the NREL 5-MW baseline (AeroDyn `AirDens`, kg/m^3). */
export const AIR_DENSITY_KG_M3 = 1.225

const dataUrl = (name: string) => new URL(`../data/${name}`, import.meta.url)

function readData(name: string): string {
  try {
    return readFileSync(dataUrl(name), 'utf8')
  } catch (err) {
    throw new ModelError('MODEL_INVALID_DATA', `cannot read turbine data file ${name}`, { cause: err })
  }
}

function checkConstants(value: unknown): Nrel5mwConstants {
  const c = value as Nrel5mwConstants
  const required = [
    c?.rotor?.rotorDiameterM,
    c?.drivetrain?.gearboxRatio,
    c?.drivetrain?.drivetrainInertiaCastToLssKgM2,
    c?.baselineController?.ratedMechanicalPowerW,
    c?.baselineController?.maxGeneratorTorqueRateNmps,
  ]
  if (required.some((n) => typeof n !== 'number' || !Number.isFinite(n))) {
    throw new ModelError('MODEL_INVALID_DATA', 'constants.json: missing or non-numeric turbine constants')
  }
  return c
}

/** Loads the NREL 5-MW constants and performance table shipped in the package's `data/` folder. */
export function loadNrel5mw(): { constants: Nrel5mwConstants; table: PerformanceTable } {
  return {
    constants: checkConstants(JSON.parse(readData('constants.json'))),
    table: parsePerformanceTable(readData('Cp_Ct_Cq.NREL5MW.txt')),
  }
}

/** Read once at import: immutable reference data, not state. */
export const NREL5MW = Object.freeze(loadNrel5mw())
