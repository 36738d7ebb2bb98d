/**
 * Token bucket for the publish rate (AWS IoT Core allows 100 publishes per second per connection).
 * Capacity is one second's worth, so a short burst after an idle period stays within the per-second quota.
 */
export class RateLimiter {
  private tokens: number
  private lastMs: number

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = Math.max(1, perSecond)
    this.lastMs = now()
  }

  private refill(): void {
    const t = this.now()
    this.tokens = Math.min(Math.max(1, this.perSecond), this.tokens + ((t - this.lastMs) * this.perSecond) / 1000)
    this.lastMs = t
  }

  /** Takes one token if available. */
  tryTake(): boolean {
    this.refill()
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }

  /** Milliseconds until a token is available (0 if one is). */
  waitMs(): number {
    this.refill()
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 1000) / this.perSecond)
  }
}
