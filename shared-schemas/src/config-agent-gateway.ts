import Type, { type Static } from 'typebox'

/** The gateway profile: site sources, processing, residency policy (owned by the gateway work; extend here). */
export const GatewayProfileConfig = Type.Object({}, { $id: 'GatewayProfileConfig', additionalProperties: false })
export type GatewayProfileConfig = Static<typeof GatewayProfileConfig>
