import Type, { type Static } from 'typebox'

/** The jobs service: local (IoT Jobs topics on the local broker) or AWS IoT (owned by the jobs work; extend here). */
export const CloudJobsConfig = Type.Object({}, { $id: 'CloudJobsConfig', additionalProperties: false, default: {} })
export type CloudJobsConfig = Static<typeof CloudJobsConfig>
