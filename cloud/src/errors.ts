/** Stable codes for the cloud package's errors; callers branch on `code`, never on the message. */
export type CloudErrorCode =
  | 'CLOUD_CONFIG_INVALID'
  | 'CLOUD_CLOSED'
  | 'CLOUD_SINK_FAILED'
  | 'CLOUD_RETRIES_EXHAUSTED'
  | 'CLOUD_ARCHIVE_RECORD_TOO_LARGE'
  | 'CLOUD_INFLUX_WRITE_FAILED'
  | 'CLOUD_INFLUX_QUERY_FAILED'
  | 'CLOUD_TIMESTREAM_REJECTED'
  | 'CLOUD_LOCATION_REJECTED'
  | 'CLOUD_FIREHOSE_REJECTED'
  | 'CLOUD_HWM_STORE_FAILED'
  | 'CLOUD_LAMBDA_RECORD_INVALID'
  // Other areas of the cloud package append their codes here.
  | `CLOUD_${string}`

export class CloudError extends Error {
  readonly code: CloudErrorCode
  constructor(code: CloudErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'CloudError'
    this.code = code
  }
}

export function isCloudError(err: unknown, code?: CloudErrorCode): err is CloudError {
  return err instanceof CloudError && (code === undefined || err.code === code)
}
