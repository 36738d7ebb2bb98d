import Type, { type Static } from 'typebox'

/** Fleet analytics: enrichment, maintenance store, zones (owned by the fleet work; extend here). */
export const CloudFleetConfig = Type.Object({}, { $id: 'CloudFleetConfig', additionalProperties: false, default: {} })
export type CloudFleetConfig = Static<typeof CloudFleetConfig>
