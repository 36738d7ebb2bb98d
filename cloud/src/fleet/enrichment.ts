import { randomUUID } from 'node:crypto'
import {
  createValidator,
  EnrichedPositionEvent,
  type LocationDevicePositionEvent,
  type MaintenanceRecord,
  SchemaError,
  type TransformedPositionEvent,
  validators,
} from '@edgetwin/shared-schemas'
import type { Logger } from 'pino'
import type { MaintenanceStore } from './maintenance-store.js'
import { enrichedObjectKey, type ObjectStore } from './object-store.js'

export const enrichedValidator = createValidator(EnrichedPositionEvent)

/**
 * The reference architecture's EventBridge input transformer: `{"EventType": <$.detail.EventType>, ...,
 * "Position": <$.detail.Position>}`, the shape its enrichment function receives.
 */
export function transformPositionEvent(event: LocationDevicePositionEvent): TransformedPositionEvent {
  const d = event.detail
  return {
    EventType: d.EventType,
    TrackerName: d.TrackerName,
    DeviceId: d.DeviceId,
    SampleTime: d.SampleTime,
    ReceivedTime: d.ReceivedTime,
    Position: [d.Position[0], d.Position[1]],
  }
}

/** Joins the vehicle's maintenance attributes (null when the table has no record for it). */
export function enrichPositionEvent(event: TransformedPositionEvent, record: MaintenanceRecord | null): EnrichedPositionEvent {
  return {
    ...event,
    MeetsEmissionStandards: record?.MeetsEmissionStandards ?? null,
    Mileage: record?.Mileage ?? null,
    PurchaseDate: record?.PurchaseDate ?? null,
  }
}

export interface EnrichmentDeps {
  readonly maintenance: MaintenanceStore
  readonly objects: ObjectStore
  /** Objects land at `<prefix>/<DeviceId>/<SampleTime>-<uuid>.json`. */
  readonly prefix: string
  readonly logger: Logger
  /** @default crypto.randomUUID */
  readonly newUuid?: () => string
}

/**
 * The enrichment function (the reference architecture's Lambda pattern) for an already-transformed event, as the
 * Lambda receives it. Validates at the boundary; returns the key written. Each call writes a new object: a
 * redelivered event gives a second object with another uuid, as the reference's function does.
 */
export function createEnrichmentHandler(deps: EnrichmentDeps): (input: unknown) => Promise<string> {
  const newUuid = deps.newUuid ?? randomUUID
  return async (input) => {
    const event = validators.TransformedPositionEvent.parse(input)
    const record = await deps.maintenance.get(event.DeviceId)
    const enriched = enrichPositionEvent(event, record)
    const key = enrichedObjectKey(deps.prefix, event.DeviceId, event.SampleTime, newUuid())
    await deps.objects.put(key, JSON.stringify(enriched), 'application/json')
    return key
  }
}

/**
 * The same function as a target of the local bus: applies the input transformer first. The object's uuid is the
 * event's id, so a redelivered event (a retry, a restart, a replayed dead letter) overwrites its own object
 * instead of adding a second one: the local bus delivers at least once, the store holds each event once.
 */
export function createEnrichmentConsumer(deps: EnrichmentDeps): (event: LocationDevicePositionEvent) => Promise<void> {
  return async (event) => {
    if (!validators.LocationDevicePositionEvent.check(event)) {
      throw new SchemaError('SCHEMA_INVALID', `invalid LocationDevicePositionEvent`, validators.LocationDevicePositionEvent.errors(event))
    }
    await createEnrichmentHandler({ ...deps, newUuid: () => event.id })(transformPositionEvent(event))
  }
}
