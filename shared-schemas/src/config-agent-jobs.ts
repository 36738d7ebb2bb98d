import Type, { type Static } from 'typebox'

/** The agent's jobs client and controller-update safety envelope (owned by the jobs work; extend here). */
export const AgentJobsConfig = Type.Object({}, { $id: 'AgentJobsConfig', additionalProperties: false, default: {} })
export type AgentJobsConfig = Static<typeof AgentJobsConfig>
