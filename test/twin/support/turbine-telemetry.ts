import { CONTROLLER_PARAMETER_DEFAULTS, type TurbineSample } from '@edgetwin/shared-schemas'
import { runSimulation } from '@edgetwin/turbine-model'

/**
 * Ten minutes of a turbine's telemetry in 14 m/s wind at turbulence intensity `ti`, sampled at 1 Hz from the
 * reduced-order model itself, with the over-speed alarm where the generator speed passes the default threshold.
 */
export function modelTelemetry(ti: number, seed: number, start: Date): TurbineSample[] {
  const out = runSimulation({ windSpeedMps: 14, turbulenceIntensity: ti, seed, durationS: 600, outputDtS: 1 })
  const col = (name: string) => out.columns[out.channels.indexOf(name)]!
  const [time, wind, rotor, gen, power, torque, pitch] = ['Time', 'Wind1VelX', 'RotSpeed', 'GenSpeed', 'GenPwr', 'GenTq', 'BldPitch1'].map(
    col,
  )
  const samples: TurbineSample[] = []
  for (let i = 0; i < time!.length; i++) {
    samples.push({
      time: new Date(start.getTime() + time![i]! * 1000).toISOString(),
      windSpeedMps: wind![i]!,
      rotorSpeedRpm: rotor![i]!,
      generatorSpeedRpm: gen![i]!,
      generatorPowerKw: power![i]!,
      generatorTorqueKnm: torque![i]!,
      bladePitchDeg: pitch![i]!,
      alarms: gen![i]! > CONTROLLER_PARAMETER_DEFAULTS.overspeedAlarmGeneratorSpeedRpm ? ['overspeed'] : [],
    })
  }
  return samples
}
