import type { TurbineWindowStats } from './statistics.js'

/** Detector thresholds (configuration: `twin.detector` in the cloud config). */
export interface DetectorThresholds {
  /** Over-speed episodes per window at or above which the window is anomalous. */
  readonly overspeedEpisodesPerWindow: number
  /** Maximum rotor speed (rpm) above which the window is anomalous; the rated speed is 12.1 rpm. */
  readonly maxRotorSpeedRpm?: number
  /** Windows whose power falls below this fraction of the expected power curve are anomalous. */
  readonly minPowerRatio?: number
  /** Windows with fewer samples than this are not judged (a turbine that just started, a gap). */
  readonly minSamples: number
}

export type AnomalyKind = 'overspeed-alarms' | 'rotor-overspeed' | 'power-deficit'

export interface AnomalyFinding {
  readonly kind: AnomalyKind
  readonly message: string
}

/** Pure rule evaluation: the findings for one window, empty when the window is normal. */
export function evaluateWindow(stats: TurbineWindowStats, thresholds: DetectorThresholds): AnomalyFinding[] {
  if (stats.sampleCount < thresholds.minSamples) return []
  const findings: AnomalyFinding[] = []
  if (stats.overspeedEpisodes >= thresholds.overspeedEpisodesPerWindow) {
    findings.push({
      kind: 'overspeed-alarms',
      message: `${stats.overspeedEpisodes} over-speed episodes (threshold ${thresholds.overspeedEpisodesPerWindow})`,
    })
  }
  if (thresholds.maxRotorSpeedRpm !== undefined && stats.rotorSpeedRpm.max > thresholds.maxRotorSpeedRpm) {
    findings.push({
      kind: 'rotor-overspeed',
      message: `rotor speed reached ${stats.rotorSpeedRpm.max.toFixed(2)} rpm (limit ${thresholds.maxRotorSpeedRpm} rpm)`,
    })
  }
  if (thresholds.minPowerRatio !== undefined && stats.expectedPowerKw > 0 && stats.powerRatio < thresholds.minPowerRatio) {
    findings.push({
      kind: 'power-deficit',
      message: `power ${(stats.powerRatio * 100).toFixed(1)} % of the expected curve (minimum ${(thresholds.minPowerRatio * 100).toFixed(0)} %)`,
    })
  }
  return findings
}
