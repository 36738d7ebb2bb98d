import { TIME_SERIES_ENGINES, type TimeSeriesEngine } from './constructs/time-series.js'
import { InfraError } from './errors.js'

export interface AppContext {
  readonly timeSeries: TimeSeriesEngine
  readonly basicIngest: boolean
  readonly stackName: string
  readonly dispatchCertificateArn?: string
  readonly dispatchDomainName?: string
  readonly turbineThingNames?: string
}

/** Reads the `-c key=value` flags the app understands; a bad value stops synth with what was received and what is allowed. */
export function readContext(get: (key: string) => unknown): AppContext {
  // Timestream for LiveAnalytics is closed to new customers since 2025-06-20: InfluxDB unless asked.
  const timeSeries = String(get('timeSeries') ?? 'influxdb')
  if (!(TIME_SERIES_ENGINES as readonly string[]).includes(timeSeries)) {
    throw new InfraError(
      'INFRA_CONTEXT_INVALID',
      `context timeSeries must be one of ${TIME_SERIES_ENGINES.join(', ')}; received '${timeSeries}'`,
    )
  }
  const rawBasic = String(get('basicIngest') ?? 'false')
  if (rawBasic !== 'true' && rawBasic !== 'false') {
    throw new InfraError('INFRA_CONTEXT_INVALID', `context basicIngest must be true or false; received '${rawBasic}'`)
  }
  const stackName = String(get('stackName') ?? 'Edgetwin')
  if (!/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(stackName)) {
    throw new InfraError('INFRA_CONTEXT_INVALID', `context stackName must match [A-Za-z][A-Za-z0-9-]{0,127}; received '${stackName}'`)
  }
  const optional = (key: string) => {
    const value = get(key)
    return value === undefined || value === '' ? undefined : String(value)
  }
  return {
    timeSeries: timeSeries as TimeSeriesEngine,
    basicIngest: rawBasic === 'true',
    stackName,
    dispatchCertificateArn: optional('dispatchCertificateArn'),
    dispatchDomainName: optional('dispatchDomainName'),
    turbineThingNames: optional('turbineThingNames'),
  }
}
