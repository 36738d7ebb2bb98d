export interface BackoffOptions {
  readonly initialDelayMs: number
  readonly maxDelayMs: number
}

/**
 * Capped exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"):
 * `random() * min(max, initial * 2^attempt)`. Full jitter spreads a fleet's reconnects after a broker outage
 * instead of having every device retry in lockstep. `random` returns [0, 1).
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** Math.min(attempt, 30))
  return Math.floor(random() * ceiling)
}

/**
 * Tracks reconnect attempts. The attempt count resets only once a connection has stayed up for
 * `stableAfterMs`: a broker that accepts and then drops at once must not turn backoff into a tight loop.
 */
export class ReconnectSchedule {
  private attempt = 0
  private connectedAtMs: number | undefined
  private explainedDrop = false

  constructor(
    private readonly options: BackoffOptions & { readonly stableAfterMs: number },
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {}

  connected(): void {
    this.connectedAtMs = this.now()
  }

  /**
   * The drop about to be reported has a known cause that will not repeat (one message the broker closes the
   * connection over is now held back): reconnect after half to one initial delay, without escalating the backoff.
   * Still at most one reconnect per half initial delay, so no storm.
   */
  explained(): void {
    this.explainedDrop = true
  }

  /** The delay before the next attempt, after a failed attempt or a dropped connection. */
  nextDelayMs(): number {
    if (this.connectedAtMs !== undefined && this.now() - this.connectedAtMs >= this.options.stableAfterMs) this.attempt = 0
    this.connectedAtMs = undefined
    if (this.explainedDrop) {
      this.explainedDrop = false
      return Math.floor(this.options.initialDelayMs * (0.5 + this.random() / 2))
    }
    return backoffDelayMs(this.attempt++, this.options, this.random)
  }

  get attempts(): number {
    return this.attempt
  }
}
