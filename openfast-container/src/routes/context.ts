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
}

/** Error answers a route documents, all `DispatchErrorResponse`. */
export function errorResponses(...codes: number[]): Record<number, TSchema> {
  return Object.fromEntries(codes.map((c) => [c, DispatchErrorResponse]))
}

/** Every authenticated route documents the bearer scheme in OpenAPI. */
export const bearerSecurity = [{ bearerAuth: [] }]
