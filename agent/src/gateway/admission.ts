import { type AgentConfig, STREAMS, type StreamName } from '@edgetwin/shared-schemas'
import type { Logger } from 'pino'
import { type ResidencyCounters, ResidencyGate } from './residency.js'

export type AdmissionDecision = { readonly denied: false; readonly record: unknown } | { readonly denied: true; readonly reason: string }

/** The agent's data-residency check, applied by `agent.accept` to every record before it can reach the outbox. */
export interface ResidencyAdmission {
  admit(stream: unknown, record: unknown): AdmissionDecision
  /** Whether anything of `stream` may leave the site (the MQTT will carries a health report). */
  allows(stream: StreamName): boolean
  counters(): ResidencyCounters
}

/**
 * For a gateway agent (`config.gateway` set) the residency policy's gate; `undefined` for other agents. A record
 * that is not valid for its stream passes unchanged so that the agent's own validation reports it
 * (AGENT_INVALID_RECORD); everything valid is either trimmed to the allowed fields or refused.
 */
export function createResidencyAdmission(config: Readonly<AgentConfig>, log: Logger): ResidencyAdmission | undefined {
  if (!config.gateway) return undefined
  const gate = new ResidencyGate(config.gateway.residency)
  const allowed = new Set(gate.allowedStreams)
  log.info({ allowedStreams: [...allowed] }, 'data residency policy active')
  return {
    admit(stream, record) {
      if (typeof stream !== 'string' || !(STREAMS as readonly string[]).includes(stream)) return { denied: false, record }
      const d = gate.apply(stream as StreamName, record)
      if (d.allowed) return { denied: false, record: d.record }
      if (d.reason === 'invalid-record' && allowed.has(stream as StreamName)) return { denied: false, record }
      log.debug({ stream, reason: d.reason }, 'record kept on site by the residency policy')
      return { denied: true, reason: d.reason }
    },
    allows: (stream) => allowed.has(stream),
    counters: () => gate.counters(),
  }
}
