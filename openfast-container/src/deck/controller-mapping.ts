import { CONTROLLER_PARAMETER_DEFAULTS, type ControllerParameterPatch } from '@edgetwin/shared-schemas'
import { readInputValue } from './input-file.js'

const RPM_TO_RAD_PER_S = Math.PI / 30
const DEG_TO_RAD = Math.PI / 180

function formatExp(value: number): string {
  return value.toExponential(5)
}

/** Scales every entry of a gain-schedule row (ROSCO's `PC_GS_KP`/`PC_GS_KI`) by `factor`, keeping its shape. */
function scaleRow(row: string, factor: number): string {
  return row
    .trim()
    .split(/\s+/)
    .map((v) => formatExp(Number(v) * factor))
    .join('   ')
}

/**
 * The DISCON.IN (ROSCO controller parameter file) edits that realise a controller parameter patch. Units: ROSCO
 * works in rad/s on the high-speed shaft and N-m; edgetwin's parameters are in rpm and degrees.
 * - Pitch PI gains are gain-scheduled in ROSCO; the patch gives the gain at zero pitch (NREL/TP-500-38060 §7.2),
 *   so the whole schedule is scaled by new/baseline, which keeps the schedule's shape over pitch.
 * - ROSCO reads `VS_Rgn2K` only with `VS_ControlMode` 1, 3 or 4; a patch that sets the region-2 gain therefore
 *   also selects mode 1 (the k·ω² law of the NREL baseline controller that the gain belongs to).
 * - `overspeedAlarmGeneratorSpeedRpm` is not a controller input: the post-processor uses it.
 */
export function disconEdits(disconText: string, patch: ControllerParameterPatch): Record<string, string> {
  const edits: Record<string, string> = {}
  const d = CONTROLLER_PARAMETER_DEFAULTS
  if (patch.ratedGeneratorSpeedRpm !== undefined) {
    const radPerS = formatExp(patch.ratedGeneratorSpeedRpm * RPM_TO_RAD_PER_S)
    edits.PC_RefSpd = radPerS
    edits.VS_RefSpd = radPerS
  }
  if (patch.pitchProportionalGainS !== undefined) {
    edits.PC_GS_KP = scaleRow(
      readInputValue(disconText, 'PC_GS_KP', 'discon', 'DISCON.IN'),
      patch.pitchProportionalGainS / d.pitchProportionalGainS,
    )
  }
  if (patch.pitchIntegralGain !== undefined) {
    edits.PC_GS_KI = scaleRow(readInputValue(disconText, 'PC_GS_KI', 'discon', 'DISCON.IN'), patch.pitchIntegralGain / d.pitchIntegralGain)
  }
  if (patch.region2TorqueGainNmPerRpm2 !== undefined) {
    // T = k_rpm·n² with n in rpm = k_rpm·(ω·30/π)² → k_rad = k_rpm·(30/π)².
    edits.VS_Rgn2K = formatExp(patch.region2TorqueGainNmPerRpm2 / RPM_TO_RAD_PER_S ** 2)
    edits.VS_ControlMode = '1'
  }
  if (patch.maxGeneratorTorqueNm !== undefined) edits.VS_MaxTq = formatExp(patch.maxGeneratorTorqueNm)
  if (patch.maxPitchRateDegPerS !== undefined) {
    edits.PC_MaxRat = formatExp(patch.maxPitchRateDegPerS * DEG_TO_RAD)
    edits.PC_MinRat = formatExp(-patch.maxPitchRateDegPerS * DEG_TO_RAD)
  }
  return edits
}
