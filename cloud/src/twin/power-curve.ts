/**
 * Expected electrical power of the NREL 5-MW turbine in steady wind (NREL/TP-500-38060, table 1-1 and
 * section 7): below rated, the rotor runs at its peak power coefficient (Cp 0.482 at tip-speed ratio 7.55),
 * so P = ½ ρ A Cp v³ η; above rated (11.4 m/s) the controller holds 5 MW; nothing outside cut-in/cut-out.
 */
const AIR_DENSITY_KG_PER_M3 = 1.225
const ROTOR_RADIUS_M = 63
const PEAK_POWER_COEFFICIENT = 0.482
const GENERATOR_EFFICIENCY = 0.944
const RATED_ELECTRICAL_POWER_KW = 5000
const CUT_IN_WIND_MPS = 3
const CUT_OUT_WIND_MPS = 25

export function expectedPowerKw(windSpeedMps: number): number {
  if (windSpeedMps < CUT_IN_WIND_MPS || windSpeedMps > CUT_OUT_WIND_MPS) return 0
  const sweptAreaM2 = Math.PI * ROTOR_RADIUS_M ** 2
  const aeroW = 0.5 * AIR_DENSITY_KG_PER_M3 * sweptAreaM2 * PEAK_POWER_COEFFICIENT * windSpeedMps ** 3
  return Math.min(RATED_ELECTRICAL_POWER_KW, (aeroW * GENERATOR_EFFICIENCY) / 1000)
}
