/**
 * ROSCO's minimum-pitch schedule ("peak shaving", `PS_Mode = 1`) for the NREL 5-MW: `PS_WindSpeeds` (m/s) and
 * `PS_BldPitchMin` (rad) of the `DISCON.IN` shipped with the deck (ROSCO v2.10.3 `Examples/Test_Cases/NREL-5MW/`,
 * written by ROSCO 2.10.1's tuning; Apache-2.0, Copyright National Renewable Energy Laboratory), the values copied as they are.
 * ROSCO raises the pitch floor from about 10 m/s to limit the rotor thrust near rated; above rated the region-3
 * pitch is higher than the floor, so it acts only in region 2½.
 */
export const ROSCO_PEAK_SHAVING_WIND_MPS = Float64Array.from([
  3.0, 3.2897, 3.5793, 3.869, 4.1586, 4.4483, 4.7379, 5.0276, 5.3172, 5.6069, 5.8966, 6.1862, 6.4759, 6.7655, 7.0552, 7.3448, 7.6345,
  7.9241, 8.2138, 8.5034, 8.7931, 9.0828, 9.3724, 9.6621, 9.9517, 10.2414, 10.531, 10.8207, 11.1103, 11.4, 11.8533, 12.3067, 12.76, 13.2133,
  13.6667, 14.12, 14.5733, 15.0267, 15.48, 15.9333, 16.3867, 16.84, 17.2933, 17.7467, 18.2, 18.6533, 19.1067, 19.56, 20.0133, 20.4667,
  20.92, 21.3733, 21.8267, 22.28, 22.7333, 23.1867, 23.64, 24.0933, 24.5467, 25.0,
])

export const ROSCO_PEAK_SHAVING_MIN_PITCH_RAD = Float64Array.from([
  0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0145,
  0.0272, 0.0368, 0.0447, 0.0524, 0.0637, 0.0747, 0.0854, 0.0958, 0.106, 0.116, 0.1259, 0.1356, 0.1451, 0.1546, 0.1639, 0.1732, 0.1823,
  0.1914, 0.2004, 0.2093, 0.2181, 0.2269, 0.2355, 0.2442, 0.2526, 0.2612, 0.2695, 0.2779, 0.286, 0.2942, 0.3023, 0.3105, 0.3185, 0.3265,
])
