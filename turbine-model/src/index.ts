export {
  AERO_CORRECTION_LIMITS,
  type AeroCorrection,
  checkAeroCorrection,
  RIGID_ROTOR,
  ROTOR_MASS_KG,
  shaftWeightComponentN,
} from './aero-correction.js'
export { ALARM_BIT, alarmsFromMask, OVERPOWER_ALARM_FRACTION, type TurbineAlarmName } from './alarms.js'
export { type CalibrateOptions, calibrateFromOutFiles, fitAeroCorrection, MIN_PITCH_SPAN_FOR_OFFSET_DEG } from './calibrate.js'
export { CALIBRATION_FORMAT, CalibrationPoint, calibrationIdOf, ModelCalibration, parseCalibration } from './calibration.js'
export { type ChannelName, column, OUTPUT_CHANNELS, type SimulationOutput } from './channels.js'
export {
  BaselineController,
  checkParameters,
  type MinimumPitchSchedule,
  PITCH_RATE_ALARM_DELAY_S,
  resolveParameters,
  TORQUE_LIMIT_ALARM_DELAY_S,
  type TorqueRegion,
} from './controller.js'
export { calibrationRef, DEFAULT_CALIBRATION, RIGID_ROTOR_CALIBRATION } from './default-calibration.js'
export { ModelError, type ModelErrorCode } from './errors.js'
export { AIR_DENSITY_KG_M3, loadNrel5mw, NREL5MW, type Nrel5mwConstants } from './nrel5mw.js'
export { initialOperatingPoint } from './operating-point.js'
export { formatOutFile, parseOutFile } from './out-file.js'
export { interpolate, type PerformanceTable, parsePerformanceTable } from './performance-table.js'
export { createRandom } from './random.js'
export { MODEL_VERSION, type RunOptions, runSimulation } from './simulation.js'
export { type SteadyStateOptions, type SteadyStatePoint, steadyStatePoint } from './steady-state.js'
export {
  type ChannelStatistics,
  countOverspeedEpisodes,
  GENERATOR_SPEED_FILTER_CORNER_HZ,
  type OutputSummary,
  OVERSPEED_HYSTERESIS_FRACTION,
  summarizeOutput,
} from './summary.js'
export { createTurbine, type Turbine, type TurbineOptions, type TurbineState } from './turbine.js'
export { createWindField, KAIMAL_LENGTH_SCALE_M, kaimalSeries, kaimalSpectrum, type TurbulentWindOptions, type WindField } from './wind.js'
