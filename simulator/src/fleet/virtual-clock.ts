/**
 * The simulation's clock: simulated time moves only when the simulator advances it, as fast as the agents take
 * the records (accelerated time), never from the wall clock.
 */
export class VirtualClock {
  #nowMs: number
  constructor(startMs: number) {
    this.#nowMs = startMs
  }
  nowMs(): number {
    return this.#nowMs
  }
  /** Moves forward to `tMs`; simulated time never runs backwards. */
  advanceTo(tMs: number): void {
    if (tMs > this.#nowMs) this.#nowMs = tMs
  }
}
