import type { ConsoleConfig } from '@edgetwin/shared-schemas'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify'
import type { LiveHub } from '../live.js'
import type { ConsoleSources } from '../sources.js'

export type ConsoleFastify = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>

/** What every route module gets. */
export interface RouteContext {
  readonly sources: ConsoleSources
  readonly config: Readonly<ConsoleConfig>
  readonly live: LiveHub
  readonly now: () => Date
}
