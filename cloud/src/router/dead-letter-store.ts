import type { DeadLetter } from './decide.js'

/** Where messages the router cannot accept are kept, with reason and topic, for an operator to inspect or replay. */
export interface DeadLetterStore {
  put(letter: DeadLetter): Promise<void>
  /** Newest first. */
  list(options?: { readonly limit?: number }): Promise<DeadLetter[]>
  /** How many are kept (health); stores that cannot count cheaply (S3) omit it. */
  count?(): Promise<number>
  close(): Promise<void>
}
