import type { DeviceEvent } from '@edgetwin/shared-schemas'
import type { Logger } from 'pino'
import { isGatewayError } from './errors.js'

export interface SourceStatus {
  readonly name: string
  readonly kind: 'postgres' | 'mqtt'
  readonly state: 'starting' | 'ok' | 'failing'
  readonly watermark: string | null
  readonly rows: number
  readonly invalidRows: number
  readonly windowsClosed: number
  readonly alarms: number
  /** Readings for windows that had already closed (each such window was recomputed, for a PostgreSQL source). */
  readonly lateReadings: number
  /** Closed windows recomputed with different numbers: corrected on site and sent again upstream. */
  readonly corrections: number
  /** Rows read again after a restart to rebuild the windows that were open (not counted in `rows`). */
  readonly replayedRows: number
  readonly overflowReadings: number
  readonly failures: number
  readonly lastError: { readonly code: string; readonly message: string; readonly at: string } | null
}

export interface BatchReport {
  readonly rows: number
  readonly replayedRows?: number
  readonly corrections: number
  readonly invalidRows: number
  readonly watermark: string | null
  readonly closed: number
  readonly late: number
  readonly overflow: number
  readonly alarms: number
}

type SourceEventFn = (type: string, severity: DeviceEvent['severity'], data: Record<string, string>) => Promise<void>

/** Counters and the ok/failing state of one source; logs and reports each transition once, not every retry. */
export class SourceTracker {
  readonly #log: Logger
  readonly #now: () => number
  readonly #event: SourceEventFn
  #status: SourceStatus

  constructor(name: string, kind: 'postgres' | 'mqtt', log: Logger, now: () => number, event: SourceEventFn) {
    this.#log = log.child({ source: name })
    this.#now = now
    this.#event = event
    this.#status = {
      name,
      kind,
      state: 'starting',
      watermark: null,
      rows: 0,
      invalidRows: 0,
      windowsClosed: 0,
      alarms: 0,
      lateReadings: 0,
      corrections: 0,
      replayedRows: 0,
      overflowReadings: 0,
      failures: 0,
      lastError: null,
    }
  }

  status(): SourceStatus {
    return this.#status
  }

  async succeeded(report: BatchReport): Promise<void> {
    const s = this.#status
    const wasFailing = s.state === 'failing'
    this.#status = {
      ...s,
      state: 'ok',
      watermark: report.watermark ?? s.watermark,
      rows: s.rows + report.rows,
      invalidRows: s.invalidRows + report.invalidRows,
      windowsClosed: s.windowsClosed + report.closed,
      alarms: s.alarms + report.alarms,
      lateReadings: s.lateReadings + report.late,
      corrections: s.corrections + report.corrections,
      replayedRows: s.replayedRows + (report.replayedRows ?? 0),
      overflowReadings: s.overflowReadings + report.overflow,
    }
    if (report.rows > 0 || report.closed > 0) {
      this.#log.debug({ rows: report.rows, closed: report.closed, watermark: report.watermark }, 'batch processed')
    }
    if (report.invalidRows > 0) this.#log.warn({ invalidRows: report.invalidRows }, 'rows without device or time skipped')
    if (report.late > 0) {
      if (s.kind === 'postgres') {
        this.#log.warn({ late: report.late, corrections: report.corrections }, 'rows for already closed windows: windows recomputed')
      } else this.#log.warn({ late: report.late }, 'readings for already closed windows dropped (a site MQTT source cannot be re-read)')
    }
    if (wasFailing) {
      this.#log.info({ failures: s.failures }, 'source recovered')
      await this.#safeEvent('gateway.source-recovered', 'info', { source: s.name })
    }
  }

  async failed(err: unknown): Promise<void> {
    const code = isGatewayError(err) ? err.code : ((err as { code?: string }).code ?? 'AGENT_GATEWAY_UNKNOWN')
    const message = err instanceof Error ? err.message : String(err)
    const s = this.#status
    const first = s.state !== 'failing' || s.lastError?.code !== code
    this.#status = {
      ...s,
      state: 'failing',
      failures: s.failures + 1,
      lastError: { code, message, at: new Date(this.#now()).toISOString() },
    }
    if (first) {
      this.#log.error({ err, code }, 'source failed; retrying with backoff')
      await this.#safeEvent('gateway.source-error', 'warning', { source: s.name, code })
    } else {
      this.#log.debug({ code, failures: s.failures + 1 }, 'source still failing')
    }
  }

  async #safeEvent(type: string, severity: DeviceEvent['severity'], data: Record<string, string>): Promise<void> {
    try {
      await this.#event(type, severity, data)
    } catch (err) {
      // Reporting a failure upstream must not turn into a second failure of the source.
      this.#log.warn({ err, type }, 'could not record source event')
    }
  }
}
