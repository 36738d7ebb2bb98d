import type { LocationDevicePositionEvent } from '@edgetwin/shared-schemas'

/** Something that receives Location Device Position Events; may be async (an enrichment write). */
export type PositionEventHandler = (event: LocationDevicePositionEvent) => void | Promise<void>

export interface SubscribeOptions {
  /**
   * A named target, as an EventBridge rule target: on a durable bus its deliveries are recorded, retried with
   * backoff and dead-lettered by this name, and survive restarts. Unnamed subscribers are live listeners (a
   * console view): called once per event, best effort.
   */
  readonly target?: string
  /**
   * The handler is synchronous and writes to the durable bus's own database: it runs inside the transaction that
   * marks its delivery done, so it takes effect exactly once.
   */
  readonly inTransaction?: boolean
}

/** Where a writer that shares the bus's database records events inside its own transaction. */
export interface PositionEventOutbox {
  /** Records `event` for every target, in the caller's transaction; delivery starts after it commits. */
  enqueue(event: LocationDevicePositionEvent): void
}

/**
 * The port for Amazon Location's EventBridge events. On AWS the tracker itself publishes to the EventBridge
 * default bus and rules fan out to the consumers; locally the local tracker publishes here.
 */
export interface PositionEventBus {
  /** Delivers to every subscriber; resolves once all handlers have settled; rejects with an AggregateError if any failed. */
  publish(event: LocationDevicePositionEvent): Promise<void>
  /** Returns the function that unsubscribes. */
  subscribe(handler: PositionEventHandler, options?: SubscribeOptions): () => void
}

/**
 * In-process bus. Handlers run in subscription order; a failing handler does not keep the event from the
 * others (EventBridge delivers to each target independently), but the publisher learns about it.
 */
export function createLocalEventBus(): PositionEventBus {
  const handlers = new Set<PositionEventHandler>()
  return {
    async publish(event) {
      const failures: unknown[] = []
      for (const handler of [...handlers]) {
        try {
          await handler(event)
        } catch (err) {
          failures.push(err)
        }
      }
      if (failures.length > 0) throw new AggregateError(failures, `${failures.length} position event handler(s) failed`)
    },
    subscribe(handler) {
      handlers.add(handler)
      return () => {
        handlers.delete(handler)
      }
    },
  }
}
