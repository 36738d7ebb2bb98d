import type { Logger } from 'pino'
import { CloudError } from '../errors.js'
import type { InfluxOptions } from '../sinks/time-series/influx-time-series-store.js'
import { type InfluxCredentials, influxCredentialsFrom, type SecretReader, type SecretSource } from './secrets.js'

/** The InfluxDB variables the router and the detector share (RouterLambdaEnv, TwinDetectorLambdaEnv). */
export interface InfluxEnv {
  readonly INFLUX_URL?: string | undefined
  readonly INFLUX_BUCKET?: string | undefined
  readonly INFLUX_ORG?: string | undefined
}

/** The credentials a source names: an `INFLUX_TOKEN` value is a token; a secret is read as influxCredentialsFrom says. */
export async function resolveInfluxCredentials(
  source: SecretSource | undefined,
  read: SecretReader,
): Promise<InfluxCredentials | undefined> {
  if (source === undefined) return undefined
  if ('value' in source) return { token: source.value }
  return influxCredentialsFrom(source.secretArn, await read(source.secretArn))
}

/**
 * Adapter options for a Lambda. With a token (or none) the 2.x write API (`/api/v2/write?org=&bucket=`); with a
 * username and password the 1.x API (`/write?db=<bucket>`), the only one that takes Basic credentials. Reads are
 * InfluxQL on `/query` either way, so the bucket needs a DBRP mapping to a database of its own name.
 */
export function lambdaInfluxOptions(env: InfluxEnv, credentials: InfluxCredentials | undefined, logger: Logger): InfluxOptions {
  if (!env.INFLUX_URL || !env.INFLUX_BUCKET)
    throw new CloudError('CLOUD_CONFIG_INVALID', 'TIMESERIES_ADAPTER=influxdb needs INFLUX_URL and INFLUX_BUCKET')
  const common = { url: env.INFLUX_URL, database: env.INFLUX_BUCKET, logger }
  if (credentials && 'username' in credentials) {
    return { ...common, apiVersion: 1, basicAuth: { username: credentials.username, password: credentials.password } }
  }
  return {
    ...common,
    apiVersion: 2,
    bucket: env.INFLUX_BUCKET,
    ...(env.INFLUX_ORG ? { org: env.INFLUX_ORG } : {}),
    ...(credentials ? { token: credentials.token } : {}),
  }
}
