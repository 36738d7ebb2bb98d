import type { TurbineSample } from '@edgetwin/shared-schemas'
import { alarmsFromMask, type TurbineAlarmName, type TurbineState } from '@edgetwin/turbine-model'

/** Telemetry channels a stuck-sensor fault can freeze. */
export const SENSOR_CHANNELS = [
  'windSpeedMps',
  'rotorSpeedRpm',
  'generatorSpeedRpm',
  'generatorPowerKw',
  'generatorTorqueKnm',
  'bladePitchDeg',
] as const
export type SensorChannel = (typeof SENSOR_CHANNELS)[number]

/** A channel frozen for this many samples while the others move raises `sensor-stuck`. */
export const STUCK_SENSOR_SAMPLES = 10

const round = (value: number, digits: number) => {
  const f = 10 ** digits
  return Math.round(value * f) / f
}

/**
 * What each channel is checked against: a value that should move whenever the channel really moves (the same
 * shaft seen through the gearbox, power against torque × speed, the anemometer against the rotor). Blade pitch
 * is only checked off its lower stop, where it legitimately rests below rated.
 */
const WITNESS: Record<SensorChannel, (v: Record<SensorChannel, number>) => number | undefined> = {
  windSpeedMps: (v) => v.rotorSpeedRpm,
  rotorSpeedRpm: (v) => v.generatorSpeedRpm,
  generatorSpeedRpm: (v) => v.rotorSpeedRpm,
  generatorPowerKw: (v) => v.generatorTorqueKnm * v.generatorSpeedRpm,
  generatorTorqueKnm: (v) => (v.generatorSpeedRpm > 1 ? v.generatorPowerKw / v.generatorSpeedRpm : undefined),
  bladePitchDeg: (v) => (v.bladePitchDeg > 0.5 ? v.generatorSpeedRpm : undefined),
}

/** A witness moved if it changed by more than the telemetry's rounding could explain. */
const moved = (before: number | undefined, after: number | undefined) =>
  before !== undefined && after !== undefined && Math.abs(after - before) > 1e-3 * Math.max(Math.abs(before), 1e-3)

/**
 * The turbine's sensor layer: turns model state into a TurbineSample (units as in shared-schemas), applies a
 * stuck-sensor fault (the channel keeps the value it had when the fault began; the controller keeps its own
 * speed encoder, so only telemetry is affected) and runs a plausibility check: a channel that repeats exactly
 * for STUCK_SENSOR_SAMPLES samples while its witness (see WITNESS) keeps moving raises `sensor-stuck`.
 */
export class TurbineSensors {
  private stuck: { channel: SensorChannel; value: number | undefined } | undefined
  private previous: Record<SensorChannel, number> | undefined
  private readonly frozenFor = new Map<SensorChannel, number>()

  stick(channel: SensorChannel): void {
    this.stuck = { channel, value: undefined }
  }

  unstick(): void {
    this.stuck = undefined
  }

  get stuckChannel(): SensorChannel | undefined {
    return this.stuck?.channel
  }

  read(state: Readonly<TurbineState>, alarmMask: number, timeMs: number, controllerVersion: number | undefined): TurbineSample {
    const values: Record<SensorChannel, number> = {
      windSpeedMps: round(Math.min(state.windSpeedMps, 100), 2),
      rotorSpeedRpm: round(state.rotorSpeedRpm, 3),
      generatorSpeedRpm: round(state.generatorSpeedRpm, 2),
      generatorPowerKw: round(state.generatorPowerW / 1000, 2),
      generatorTorqueKnm: round(state.generatorTorqueNm / 1000, 4),
      bladePitchDeg: round(state.bladePitchDeg, 3),
    }
    if (this.stuck) {
      this.stuck.value ??= values[this.stuck.channel]
      values[this.stuck.channel] = this.stuck.value
    }
    const alarms: TurbineAlarmName[] = alarmsFromMask(alarmMask)
    if (this.plausibilityCheck(values) && !alarms.includes('sensor-stuck')) alarms.push('sensor-stuck')
    return {
      time: new Date(timeMs).toISOString(),
      ...values,
      rotorThrustKn: round(state.rotorThrustN / 1000, 2),
      alarms,
      ...(controllerVersion !== undefined ? { controllerVersion } : {}),
    }
  }

  /** True when some channel has repeated exactly for STUCK_SENSOR_SAMPLES samples while its witness moved. */
  private plausibilityCheck(values: Record<SensorChannel, number>): boolean {
    const before = this.previous
    this.previous = values
    if (!before) return false
    let stuck = false
    for (const c of SENSOR_CHANNELS) {
      // A repeat counts only while the witness moves; a repeat while it rests neither counts nor clears.
      const previous = this.frozenFor.get(c) ?? 0
      const n = before[c] !== values[c] ? 0 : moved(WITNESS[c](before), WITNESS[c](values)) ? previous + 1 : previous
      this.frozenFor.set(c, n)
      if (n >= STUCK_SENSOR_SAMPLES) stuck = true
    }
    return stuck
  }
}
