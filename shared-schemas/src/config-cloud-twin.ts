import Type, { type Static } from 'typebox'

/** The digital-twin loop: detector thresholds, dispatch server, candidates (owned by the twin work; extend here). */
export const CloudTwinConfig = Type.Object({}, { $id: 'CloudTwinConfig', additionalProperties: false, default: {} })
export type CloudTwinConfig = Static<typeof CloudTwinConfig>
