import type { IncomingMessage, ServerResponse } from 'node:http'
import { DispatchErrorResponse, type TSchema } from '@edgetwin/shared-schemas'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from 'fastify'
import type { SimulationEngine } from '../engines/engine.js'
import type { DeckStore } from '../store/deck-store.js'
import type { ObjectStore } from '../store/object-store.js'
import type { SimulationManager } from '../store/simulation-manager.js'

export type DispatchApp = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>

/** What the routes need; built once by `buildApp`. */
export interface RouteContext {
  readonly manager: SimulationManager
  readonly decks: DeckStore
  readonly objectStore: ObjectStore
  readonly objectPrefix: string
  readonly engines: readonly SimulationEngine[]
  readonly uploadLimitBytes: number
  readonly maxDeckFiles: number
  /** `limits.maxOutputBytes`: the largest `.out` a run may write. */
  readonly maxOutputBytes: number
}

/** Error answers a route documents, all `DispatchErrorResponse`. */
export function errorResponses(...codes: number[]): Record<number, TSchema> {
  return Object.fromEntries(codes.map((c) => [c, inline(DispatchErrorResponse)]))
}

/** Every authenticated route documents the bearer scheme in OpenAPI. */
export const bearerSecurity = [{ bearerAuth: [] }]

/**
 * A copy of a shared schema without `$id`s. The same contract appears nested in several route schemas
 * (`SimulationStatus` in the status list and alone); fast-json-stringify and the OpenAPI generator refuse two
 * schemas with one `$id`, so route schemas carry them inline.
 */
export function inline<T extends TSchema>(schema: T): T {
  const copy = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(copy)
    if (value === null || typeof value !== 'object') return value
    const out: Record<string | symbol, unknown> = {}
    for (const key of Reflect.ownKeys(value)) {
      if (key !== '$id') out[key] = copy((value as Record<string | symbol, unknown>)[key])
    }
    return out
  }
  return copy(schema) as T
}
