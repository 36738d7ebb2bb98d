import type { ControllerParameters, DeviceEvent, TurbineSample } from '@edgetwin/shared-schemas'
import {
  ALARM_BIT,
  alarmsFromMask,
  createTurbine,
  createWindField,
  type Turbine,
  type TurbineState,
  type WindField,
} from '@edgetwin/turbine-model'
import type { ControllerView } from './agent-like.js'
import { type SensorChannel, TurbineSensors } from './sensors.js'

export interface FarmTurbineOptions {
  id: string
  seed: number
  meanWindSpeedMps: number
  turbulenceIntensity: number
  stepDtS: number
  /** Fixed fraction by which this turbine's mean wind differs from the site's (position in the farm). */
  windOffsetFraction: number
}

/** Faults currently injected into one turbine. */
export interface TurbineFaults {
  turbulenceIntensity: number
  cpScale: number
  stuckSensor: SensorChannel | null
}

/**
 * One simulated turbine: its own hub-height wind, the reduced-order model, the sensor layer, and the controller
 * parameters it takes from its agent's store. Pure with respect to time: the farm says how far to advance.
 */
export class FarmTurbine {
  readonly id: string
  private readonly model: Turbine
  private readonly wind: WindField
  private readonly sensors = new TurbineSensors()
  private readonly options: FarmTurbineOptions
  private modelTimeS = 0
  private appliedVersion: number | undefined
  private lastAlarms = 0
  /** The store holds parameters the model refused; cleared by the next good set. */
  private controllerFault = false
  private readonly faultState: TurbineFaults
  samples = 0

  constructor(options: FarmTurbineOptions) {
    this.options = options
    this.id = options.id
    const mean = options.meanWindSpeedMps * (1 + options.windOffsetFraction)
    this.wind = createWindField({ meanWindSpeedMps: mean, turbulenceIntensity: options.turbulenceIntensity, seed: options.seed })
    this.model = createTurbine({ initialWindSpeedMps: mean })
    this.faultState = { turbulenceIntensity: options.turbulenceIntensity, cpScale: 1, stuckSensor: null }
  }

  get state(): Readonly<TurbineState> {
    return this.model.state
  }

  get parameters(): Readonly<ControllerParameters> {
    return this.model.parameters
  }

  get controllerVersion(): number | undefined {
    return this.appliedVersion
  }

  get faults(): Readonly<TurbineFaults> {
    return this.faultState
  }

  setTurbulenceIntensity(turbulenceIntensity: number): void {
    this.wind.setTurbulenceIntensity(turbulenceIntensity)
    this.faultState.turbulenceIntensity = turbulenceIntensity
  }

  setCpScale(cpScale: number): void {
    this.model.setCpScale(cpScale)
    this.faultState.cpScale = cpScale
  }

  stickSensor(channel: SensorChannel | null): void {
    if (channel) this.sensors.stick(channel)
    else this.sensors.unstick()
    this.faultState.stuckSensor = channel
  }

  /**
   * Takes the agent's controller parameters when their version changed (an applied or rolled-back update).
   * Returns an error message when the store holds parameters the model cannot run (kept: the old ones).
   */
  syncController(view: ControllerView | undefined): string | undefined {
    if (!view) return undefined
    const { version, parameters } = view.current()
    if (version === this.appliedVersion) return undefined
    this.appliedVersion = version
    try {
      this.model.setParameters(parameters)
      this.controllerFault = false
      return undefined
    } catch (err) {
      this.controllerFault = true
      return (err as Error).message
    }
  }

  /** Advances the model by `dtS` seconds at the integration step, under the site's current mean wind. */
  advance(dtS: number, siteMeanWindSpeedMps: number): void {
    this.wind.setMeanWindSpeed(siteMeanWindSpeedMps * (1 + this.options.windOffsetFraction))
    const step = this.options.stepDtS
    const steps = Math.max(1, Math.round(dtS / step))
    for (let i = 0; i < steps; i++) {
      this.model.step(step, this.wind.speedAt(this.modelTimeS))
      this.modelTimeS += step
    }
  }

  /** The sample at virtual time `timeMs`, with every alarm raised since the previous sample, and alarm edge events. */
  sample(timeMs: number): { sample: TurbineSample; events: DeviceEvent[] } {
    const mask = this.model.takeAlarms() | (this.controllerFault ? ALARM_BIT['controller-fault'] : 0)
    const sample = this.sensors.read(this.model.state, mask, timeMs, this.appliedVersion)
    this.samples++
    let current = 0
    for (const a of sample.alarms) current |= ALARM_BIT[a as keyof typeof ALARM_BIT]
    const events: DeviceEvent[] = []
    const raised = current & ~this.lastAlarms
    const cleared = this.lastAlarms & ~current
    for (const a of alarmsFromMask(raised)) {
      events.push({
        time: sample.time,
        type: 'alarm.raised',
        severity: a === 'controller-fault' || a === 'overspeed' ? 'critical' : 'warning',
        message: `${a} raised`,
        data: { alarm: a, generatorSpeedRpm: sample.generatorSpeedRpm },
      })
    }
    for (const a of alarmsFromMask(cleared)) {
      events.push({ time: sample.time, type: 'alarm.cleared', severity: 'info', message: `${a} cleared`, data: { alarm: a } })
    }
    this.lastAlarms = current
    return { sample, events }
  }
}
