import type { StreamName } from './ids.js'

/** The sinks a router hands records to. */
export type SinkName = 'tracker' | 'timeSeries' | 'archive' | 'deviceStatus'

/**
 * Routing rules, defined once: which sinks receive the records of each stream. Every batch is archived.
 */
export const ROUTES: Readonly<Record<StreamName, readonly SinkName[]>> = Object.freeze({
  position: ['tracker', 'archive'],
  metrics: ['timeSeries', 'archive'],
  aggregate: ['timeSeries', 'archive'],
  events: ['archive'],
  health: ['deviceStatus', 'archive'],
})
