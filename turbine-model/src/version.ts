/**
 * Engine name and version written into `.out` headers and simulation statuses. 1.1: the aerodynamic correction
 * fitted to OpenFAST (calibration) and RotThrust as the shaft force OpenFAST reports (rotor weight included).
 */
export const MODEL_VERSION = 'edgetwin-rotor-model 1.1.0'
