/** The SDK's endpoint variables, as validated by the Lambda environment schemas. */
export interface EndpointEnv {
  readonly AWS_ENDPOINT_URL?: string | undefined
  readonly AWS_ENDPOINT_URL_S3?: string | undefined
  readonly AWS_ENDPOINT_URL_DYNAMODB?: string | undefined
  readonly AWS_ENDPOINT_URL_SNS?: string | undefined
  readonly AWS_ENDPOINT_URL_IOT?: string | undefined
  readonly AWS_ENDPOINT_URL_TIMESTREAM_QUERY?: string | undefined
  readonly AWS_ENDPOINT_URL_SECRETS_MANAGER?: string | undefined
  readonly AWS_ENDPOINT_URL_KMS?: string | undefined
}

export type EndpointService = 'S3' | 'DYNAMODB' | 'SNS' | 'IOT' | 'TIMESTREAM_QUERY' | 'SECRETS_MANAGER' | 'KMS'

/**
 * Client settings for one service: the service's own endpoint variable, else the global one, else none (the SDK's
 * regional endpoint). S3 behind a custom endpoint is addressed path-style (`/<bucket>/<key>`), since a local
 * server or a VPC interface endpoint has no per-bucket host names.
 */
export function endpointConfig(env: EndpointEnv, service: EndpointService): { endpoint?: string; forcePathStyle?: boolean } {
  const endpoint = env[`AWS_ENDPOINT_URL_${service}`] ?? env.AWS_ENDPOINT_URL
  if (!endpoint) return {}
  return service === 'S3' ? { endpoint, forcePathStyle: true } : { endpoint }
}
