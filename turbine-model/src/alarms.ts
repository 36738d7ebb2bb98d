import { TURBINE_ALARMS } from '@edgetwin/shared-schemas'

/** One of the shared-schemas turbine alarms (spelled from the constant: the schema's Static type is a wide union). */
export type TurbineAlarmName = (typeof TURBINE_ALARMS)[number]

/**
 * Alarms as bits, so the per-step hot path allocates nothing. Bit i is `TURBINE_ALARMS[i]`:
 * - `overspeed`: the filtered generator speed is above `overspeedAlarmGeneratorSpeedRpm`;
 * - `overpower`: electrical power above 110 % of rated (5.5 MW for the NREL 5-MW);
 * - `torque-limit`: the torque law has asked for more than `maxGeneratorTorqueNm` for 2 s without a break;
 * - `pitch-rate-limit`: the pitch command has been clipped by `maxPitchRateDegPerS` for 1 s without a break;
 * - `sensor-stuck`: raised by the sensor layer (the farm simulator's stuck-sensor check), not by the model;
 * - `controller-fault`: the controller produced a non-finite command and the turbine shut down.
 */
export const ALARM_BIT: Readonly<Record<TurbineAlarmName, number>> = Object.freeze(
  Object.fromEntries(TURBINE_ALARMS.map((a, i) => [a, 1 << i])) as Record<TurbineAlarmName, number>,
)

/** The alarms set in `mask`, in TURBINE_ALARMS order. */
export function alarmsFromMask(mask: number): TurbineAlarmName[] {
  const out: TurbineAlarmName[] = []
  for (let i = 0; i < TURBINE_ALARMS.length; i++) if (mask & (1 << i)) out.push(TURBINE_ALARMS[i]!)
  return out
}

/** Electrical power above this fraction of rated raises `overpower`. */
export const OVERPOWER_ALARM_FRACTION = 1.1
