import type { StreamName, TurbineAlarm, TurbineSample } from '@edgetwin/shared-schemas'

/** A turbine's telemetry commit hook, as `agent.onAccepted` provides it; tests push samples through it. */
export class TestTelemetry {
  private readonly listeners = new Set<(stream: StreamName, record: unknown, seq: number) => void>()
  private seq = 0
  private timeMs = Date.parse('2024-01-01T00:00:00Z')

  onAccepted(listener: (stream: StreamName, record: unknown, seq: number) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** One 1 Hz sample (sample time advances one second per call). */
  sample(alarms: TurbineAlarm[] = [], controllerVersion?: number): void {
    this.timeMs += 1000
    const record: TurbineSample = {
      time: new Date(this.timeMs).toISOString(),
      windSpeedMps: 11,
      rotorSpeedRpm: 12.1,
      generatorSpeedRpm: 1173.7,
      generatorPowerKw: 5000,
      generatorTorqueKnm: 43.1,
      bladePitchDeg: 0,
      alarms,
      ...(controllerVersion === undefined ? {} : { controllerVersion }),
    }
    for (const l of this.listeners) l('metrics', record, ++this.seq)
  }

  /** Feeds samples every `intervalMs` until stopped; `alarms` is read at each tick. */
  feed(intervalMs: number, alarms: () => TurbineAlarm[] = () => []): () => void {
    const timer = setInterval(() => this.sample(alarms()), intervalMs)
    return () => clearInterval(timer)
  }
}
