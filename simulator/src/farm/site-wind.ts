import { createRandom } from '@edgetwin/turbine-model'

/** A standard normal deviate from a uniform generator (Box-Muller). */
export function gaussian(random: () => number): number {
  const u = Math.max(random(), Number.MIN_VALUE)
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random())
}

export interface SiteWindOptions {
  meanWindSpeedMps: number
  /** Standard deviation of the slow drift of the site's mean wind (m/s); 0 keeps it constant. */
  driftStdMps: number
  /** Correlation time of the drift (s). */
  driftTimeScaleS: number
  seed: number
}

/**
 * The site's mean wind speed drifting slowly around its long-term mean: an Ornstein-Uhlenbeck process, sampled
 * exactly at each step (so the statistics do not depend on the step). Turbulence rides on top, per turbine.
 */
export function createSiteWind(options: SiteWindOptions): { advance(dtS: number): number; readonly meanWindSpeedMps: number } {
  const random = createRandom(options.seed)
  let value = options.meanWindSpeedMps
  return {
    advance(dtS) {
      if (options.driftStdMps > 0) {
        const decay = Math.exp(-dtS / options.driftTimeScaleS)
        value =
          options.meanWindSpeedMps +
          (value - options.meanWindSpeedMps) * decay +
          options.driftStdMps * Math.sqrt(1 - decay * decay) * gaussian(random)
        value = Math.max(0, value)
      }
      return value
    },
    get meanWindSpeedMps() {
      return value
    },
  }
}
