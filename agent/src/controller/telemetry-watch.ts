import type { DeviceEvent, StreamName, TurbineSample } from '@edgetwin/shared-schemas'
import { JobsError } from '../jobs/errors.js'
import type { AlarmTally } from './health-gate.js'

/** The agent's commit hook (`agent.onAccepted`): every record after it is committed to the outbox. */
export interface TelemetrySource {
  onAccepted(listener: (stream: StreamName, record: unknown, seq: number) => void): () => void
}

interface Point {
  readonly timeMs: number
  readonly alarmed: boolean
  readonly fault: boolean
  readonly controllerVersion?: number
}

interface Observer {
  readonly windowMs: number
  readonly minControllerVersion: number
  firstMs: number | null
  samples: number
  alarmed: number
  faults: number
  finish(): void
  fail(err: Error): void
}

export interface TelemetryWatchOptions {
  /** Samples older than this (sample time, behind the newest) are forgotten; the longest baseline needed. */
  readonly historyS: number
  readonly setTimer?: (fn: () => void, ms: number) => { unref?: () => void }
  readonly clearTimer?: (timer: unknown) => void
}

const FAULT_EVENT_TYPES = new Set(['controller-fault', 'controller.fault'])

/**
 * Watches the turbine's own telemetry for the health gate. Windows are measured in sample time (the records'
 * `time`), so a simulated turbine on a fast virtual clock is judged over the same span of its own life; a
 * wall-clock deadline ends a window that never fills (no telemetry).
 */
export class TelemetryWatch {
  private readonly history: Point[] = []
  private readonly observers = new Set<Observer>()
  private unsubscribe: (() => void) | null = null
  private readonly setTimer: NonNullable<TelemetryWatchOptions['setTimer']>
  private readonly clearTimer: NonNullable<TelemetryWatchOptions['clearTimer']>

  constructor(
    private readonly source: TelemetrySource,
    private readonly options: TelemetryWatchOptions,
  ) {
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms))
    this.clearTimer = options.clearTimer ?? ((t) => clearTimeout(t as NodeJS.Timeout))
  }

  start(): void {
    this.unsubscribe ??= this.source.onAccepted((stream, record) => this.onRecord(stream, record))
  }

  close(): void {
    this.unsubscribe?.()
    this.unsubscribe = null
    for (const o of [...this.observers]) o.fail(new JobsError('AGENT_JOBS_CLOSED', 'telemetry watch closed during a health gate'))
  }

  /** Alarm tally of the last `windowS` of sample time: the baseline an update is compared against. */
  baseline(windowS: number): { samples: number; alarmed: number } {
    const newest = this.history.at(-1)?.timeMs
    if (newest === undefined) return { samples: 0, alarmed: 0 }
    const from = newest - windowS * 1000
    const inWindow = this.history.filter((p) => p.timeMs > from && !p.fault)
    return { samples: inWindow.length, alarmed: inWindow.filter((p) => p.alarmed).length }
  }

  /**
   * Tallies samples from now until `windowS` of sample time has passed since the first one, a controller fault
   * arrives, or `wallTimeoutMs` elapses. Samples stamped with an older `controllerVersion` are not counted.
   */
  observe(windowS: number, minControllerVersion: number, wallTimeoutMs: number): Promise<AlarmTally> {
    return new Promise<AlarmTally>((resolve, reject) => {
      let timer: unknown
      const observer: Observer = {
        windowMs: windowS * 1000,
        minControllerVersion,
        firstMs: null,
        samples: 0,
        alarmed: 0,
        faults: 0,
        finish: () => {
          this.clearTimer(timer)
          this.observers.delete(observer)
          resolve({ samples: observer.samples, alarmed: observer.alarmed, faults: observer.faults })
        },
        fail: (err) => {
          this.clearTimer(timer)
          this.observers.delete(observer)
          reject(err)
        },
      }
      timer = this.setTimer(() => observer.finish(), wallTimeoutMs)
      this.observers.add(observer)
    })
  }

  private onRecord(stream: StreamName, record: unknown): void {
    let point: Point | null = null
    if (stream === 'metrics') {
      const sample = record as TurbineSample
      const timeMs = Date.parse(sample.time)
      if (!Number.isFinite(timeMs)) return
      point = {
        timeMs,
        alarmed: sample.alarms.length > 0,
        fault: (sample.alarms as readonly string[]).includes('controller-fault'),
        ...(sample.controllerVersion === undefined ? {} : { controllerVersion: sample.controllerVersion }),
      }
      this.history.push(point)
      const oldest = timeMs - this.options.historyS * 1000
      while (this.history.length > 0 && this.history[0]!.timeMs < oldest) this.history.shift()
    } else if (stream === 'events') {
      const event = record as DeviceEvent
      if (!FAULT_EVENT_TYPES.has(event.type)) return
      point = { timeMs: Date.parse(event.time), alarmed: true, fault: true }
    }
    if (point) for (const o of [...this.observers]) this.feed(o, point)
  }

  private feed(o: Observer, p: Point): void {
    if (p.fault) {
      o.faults++
      o.finish()
      return
    }
    if (p.controllerVersion !== undefined && p.controllerVersion < o.minControllerVersion) return
    o.firstMs ??= p.timeMs
    o.samples++
    if (p.alarmed) o.alarmed++
    if (p.timeMs - o.firstMs >= o.windowMs) o.finish()
  }
}
