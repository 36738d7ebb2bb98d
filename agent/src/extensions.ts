import type { AgentConfig, ControllerParameters, StreamName, StreamRecordMap } from '@edgetwin/shared-schemas'
import type { Logger } from 'pino'
import type { AcceptResult } from './accept.js'
import { createGatewayExtension } from './gateway/extension.js'
import { createJobsExtension } from './jobs/jobs-extension.js'
import type { MqttSession } from './mqtt/session.js'

/** What an extension (jobs client, gateway profile, …) may use of the agent it runs in. */
export interface AgentHost {
  readonly config: Readonly<AgentConfig>
  readonly logger: Logger
  readonly mqtt: MqttSession
  readonly dataDir: string
  /** The environment secrets named in the config are read from (AgentDeps.env). */
  readonly env?: NodeJS.ProcessEnv
  accept<S extends StreamName>(stream: S, record: StreamRecordMap[S] | unknown): Promise<AcceptResult>
  onAccepted(listener: (stream: StreamName, record: unknown, seq: number) => void): () => void
}

/** The read side of the controller parameter store that a turbine agent exposes (owned by the jobs work). */
export interface ControllerParametersView {
  current(): { version: number; parameters: ControllerParameters }
  onChange(listener: (current: { version: number; parameters: ControllerParameters }) => void): () => void
}

/** A component started after the agent's outbox and MQTT session, and closed before them (reverse order). */
export interface AgentExtension {
  readonly name: string
  start(): Promise<void>
  close(): Promise<void>
  /** Set by the extension that provides the turbine controller parameter store. */
  readonly controller?: ControllerParametersView
}

/** Returns an extension when the config asks for it (e.g. `config.jobs`), otherwise undefined. */
export type AgentExtensionFactory = (host: AgentHost) => AgentExtension | undefined

/**
 * Every extension the agent knows, in start order. Other areas add their factory here (one import, one entry).
 */
export const AGENT_EXTENSIONS: readonly AgentExtensionFactory[] = [createJobsExtension, createGatewayExtension]
