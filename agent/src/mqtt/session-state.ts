import type { Logger } from 'pino'
import type { AgentError } from '../errors.js'
import { topicMatches } from './topic-match.js'

export type MessageHandler = (topic: string, payload: Buffer) => void

/**
 * The subscriptions a transport keeps across reconnects (filter → handlers), shared by both adapters of the
 * transport port so they restore and dispatch alike. A handler that throws is logged and does not stop the others.
 */
export class SubscriptionTable {
  private readonly byFilter = new Map<string, Set<MessageHandler>>()

  constructor(private readonly logger: Logger) {}

  get size(): number {
    return this.byFilter.size
  }

  filters(): string[] {
    return [...this.byFilter.keys()]
  }

  /** Adds a handler; true when the filter is new (the caller subscribes on the live connection). */
  add(filter: string, handler: MessageHandler): boolean {
    const handlers = this.byFilter.get(filter)
    if (handlers) {
      handlers.add(handler)
      return false
    }
    this.byFilter.set(filter, new Set([handler]))
    return true
  }

  dispatch(topic: string, payload: Buffer): void {
    for (const [filter, handlers] of this.byFilter) {
      if (!topicMatches(filter, topic)) continue
      for (const h of handlers) {
        try {
          h(topic, payload)
        } catch (err) {
          this.logger.error({ err, topic }, 'subscription handler threw')
        }
      }
    }
  }
}

/**
 * Publishes waiting for their PUBACK on the current connection. `track` settles once; `rejectAll` fails every one
 * still waiting when the connection closes, so their owners send them again on the next one.
 */
export class PendingAcks {
  private readonly waiting = new Set<(err: AgentError) => void>()

  get size(): number {
    return this.waiting.size
  }

  /** Runs `send` with a settle function that resolves (no error) or rejects the returned promise, once. */
  track(send: (settle: (err?: AgentError) => void) => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false
      const settle = (err?: AgentError) => {
        if (settled) return
        settled = true
        this.waiting.delete(settle)
        if (err) reject(err)
        else resolve()
      }
      this.waiting.add(settle)
      send(settle)
    })
  }

  rejectAll(err: AgentError): void {
    for (const reject of [...this.waiting]) reject(err)
    this.waiting.clear()
  }
}
