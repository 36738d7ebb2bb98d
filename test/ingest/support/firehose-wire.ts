import { FirehoseClient } from '@aws-sdk/client-firehose'
import { awsJsonError, startWireServer, testCredentials, type WireRequest, type WireServer } from '../../support/aws-wire.js'

export interface FirehoseWire {
  readonly server: WireServer
  readonly client: FirehoseClient
  /** Every accepted record's bytes, in acceptance order. */
  readonly accepted: Buffer[]
  /** Record counts of every PutRecordBatch call that reached the server. */
  readonly callSizes: number[]
  readonly callBytes: number[]
  close(): Promise<void>
}

export interface FirehoseBehaviour {
  /** Answer the first N calls with ServiceUnavailableException (whole-call throttling). */
  readonly throttleFirstCalls?: number
  /** Decide per entry whether it fails in this call (partial failure), given the call number and entry index. */
  readonly failEntry?: (call: number, index: number, data: Buffer) => boolean
}

/**
 * Answers as Amazon Data Firehose's JSON 1.1 API (target prefix `Firehose_20150804`): PutRecordBatch with at most
 * 500 records and 4 MiB, a `RequestResponses` entry per record (RecordId or ErrorCode/ErrorMessage) and `FailedPutCount`.
 */
export async function startFirehoseWire(streamName: string, behaviour: FirehoseBehaviour = {}): Promise<FirehoseWire> {
  const accepted: Buffer[] = []
  const callSizes: number[] = []
  const callBytes: number[] = []
  let calls = 0
  const server = await startWireServer((req: WireRequest) => {
    if (req.target !== 'Firehose_20150804.PutRecordBatch')
      return awsJsonError('InvalidArgumentException', `unexpected target ${req.target}`)
    if (!String(req.headers.authorization).startsWith('AWS4-HMAC-SHA256 '))
      return awsJsonError('MissingAuthenticationTokenException', 'unsigned', 403)
    const body = req.json() as { DeliveryStreamName: string; Records: Array<{ Data: string }> }
    if (body.DeliveryStreamName !== streamName)
      return awsJsonError('ResourceNotFoundException', `Firehose ${body.DeliveryStreamName} not found.`)
    const records = body.Records.map((r) => Buffer.from(r.Data, 'base64'))
    const bytes = records.reduce((n, r) => n + r.length, 0)
    calls++
    callSizes.push(records.length)
    callBytes.push(bytes)
    if (records.length > 500)
      return awsJsonError(
        'ValidationException',
        '1 validation error detected: Value at records failed to satisfy constraint: Member must have length less than or equal to 500',
      )
    if (bytes > 4 * 1024 * 1024) return awsJsonError('InvalidArgumentException', 'Records size exceeds 4 MB limit')
    if (calls <= (behaviour.throttleFirstCalls ?? 0)) {
      return awsJsonError('ServiceUnavailableException', 'Slow down.', 500)
    }
    let failed = 0
    const responses = records.map((data, i) => {
      if (behaviour.failEntry?.(calls, i, data)) {
        failed++
        return { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' }
      }
      accepted.push(data)
      return { RecordId: `rec-${calls}-${i}` }
    })
    return { body: { FailedPutCount: failed, Encrypted: false, RequestResponses: responses } }
  })
  const client = new FirehoseClient({ endpoint: server.url, region: 'eu-west-2', credentials: testCredentials, maxAttempts: 1 })
  return {
    server,
    client,
    accepted,
    callSizes,
    callBytes,
    close: async () => {
      client.destroy()
      await server.close()
    },
  }
}
