/** One true position the simulator produced (and, unless a run says otherwise, handed to the vehicle's agent). */
export interface TruePosition {
  readonly sampleTime: string
  readonly lon: number
  readonly lat: number
}

/**
 * Every true position of every vehicle, kept compactly (three float64 per position in growing typed arrays:
 * about 24 bytes each), so a test can compare what the pipeline says with what really happened.
 */
export class GroundTruth {
  readonly #byDevice = new Map<string, { data: Float64Array; n: number }>()
  #count = 0

  record(deviceId: string, tMs: number, lon: number, lat: number): void {
    let s = this.#byDevice.get(deviceId)
    if (!s) {
      s = { data: new Float64Array(3 * 1024), n: 0 }
      this.#byDevice.set(deviceId, s)
    }
    if (s.n * 3 + 3 > s.data.length) {
      const bigger = new Float64Array(s.data.length * 2)
      bigger.set(s.data)
      s.data = bigger
    }
    s.data.set([tMs, lon, lat], s.n * 3)
    s.n++
    this.#count++
  }

  get count(): number {
    return this.#count
  }

  deviceIds(): string[] {
    return [...this.#byDevice.keys()]
  }

  *positions(deviceId: string): Generator<TruePosition> {
    const s = this.#byDevice.get(deviceId)
    if (!s) return
    for (let i = 0; i < s.n; i++) {
      yield { sampleTime: new Date(s.data[i * 3]!).toISOString(), lon: s.data[i * 3 + 1]!, lat: s.data[i * 3 + 2]! }
    }
  }
}
