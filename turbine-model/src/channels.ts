/** Output channels with OpenFAST's names and units (ElastoDyn, ServoDyn, InflowWind, AeroDyn outlists). */
export const OUTPUT_CHANNELS = [
  { name: 'Time', unit: 's' },
  { name: 'Wind1VelX', unit: 'm/s' },
  { name: 'RotSpeed', unit: 'rpm' },
  { name: 'GenSpeed', unit: 'rpm' },
  { name: 'GenTq', unit: 'kN-m' },
  { name: 'GenPwr', unit: 'kW' },
  { name: 'BldPitch1', unit: 'deg' },
  { name: 'RotThrust', unit: 'kN' },
  { name: 'RotTorq', unit: 'kN-m' },
] as const

export type ChannelName = (typeof OUTPUT_CHANNELS)[number]['name']

/** Simulation results: one column per channel, all the same length. */
export interface SimulationOutput {
  channels: string[]
  units: string[]
  columns: Float64Array[]
  /** The model's calibration in force when it produced this output (absent for output read from a file). */
  calibrationId?: string
}

/** The column named `name`, or undefined. */
export function column(output: SimulationOutput, name: string): Float64Array | undefined {
  const i = output.channels.indexOf(name)
  return i < 0 ? undefined : output.columns[i]
}
