import { TimestreamWriteClient } from '@aws-sdk/client-timestream-write'
import { awsJsonError, startWireServer, testCredentials, type WireServer } from '../../support/aws-wire.js'

export interface WireTimestreamRecord {
  Dimensions?: Array<{ Name: string; Value: string }>
  MeasureName: string
  MeasureValues: Array<{ Name: string; Value: string; Type: string }>
  MeasureValueType?: string
  Time: string
  TimeUnit?: string
  Version?: number
}

export interface StoredRecord extends WireTimestreamRecord {
  readonly deviceId: string
}

export interface TimestreamWire {
  readonly server: WireServer
  readonly client: TimestreamWriteClient
  readonly stored: StoredRecord[]
  /** Record counts of every WriteRecords call. */
  readonly callSizes: number[]
  close(): Promise<void>
}

export interface TimestreamBehaviour {
  readonly throttleFirstCalls?: number
  /** A rejection reason for this record (e.g. outside the memory store retention), or undefined. */
  readonly reject?: (record: WireTimestreamRecord, deviceId: string) => string | undefined
}

/**
 * Answers as Timestream Write's JSON 1.0 API (target prefix `Timestream_20181101`): WriteRecords with at most 100
 * records, CommonAttributes merged into each record, RejectedRecordsException (HTTP 419) listing refused records by
 * RecordIndex while storing the rest, ThrottlingException (HTTP 429); and DescribeEndpoints for endpoint discovery.
 */
export async function startTimestreamWire(database: string, table: string, behaviour: TimestreamBehaviour = {}): Promise<TimestreamWire> {
  const stored: StoredRecord[] = []
  const callSizes: number[] = []
  let calls = 0
  const server = await startWireServer((req) => {
    if (req.target === 'Timestream_20181101.DescribeEndpoints') {
      return { body: { Endpoints: [{ Address: req.headers.host, CachePeriodInMinutes: 1440 }] } }
    }
    if (req.target !== 'Timestream_20181101.WriteRecords') return awsJsonError('ValidationException', `unexpected target ${req.target}`)
    if (!String(req.headers.authorization).startsWith('AWS4-HMAC-SHA256 ')) return awsJsonError('AccessDeniedException', 'unsigned', 403)
    const body = req.json() as {
      DatabaseName: string
      TableName: string
      CommonAttributes?: Partial<WireTimestreamRecord>
      Records: WireTimestreamRecord[]
    }
    calls++
    callSizes.push(body.Records.length)
    if (body.DatabaseName !== database || body.TableName !== table)
      return awsJsonError('ResourceNotFoundException', 'The table does not exist.', 404)
    if (body.Records.length > 100) return awsJsonError('ValidationException', 'Records must have at most 100 items')
    if (calls <= (behaviour.throttleFirstCalls ?? 0)) return awsJsonError('ThrottlingException', 'Your request was throttled.', 429)
    const rejected: Array<{ RecordIndex: number; Reason: string; ExistingVersion?: number }> = []
    body.Records.forEach((r, i) => {
      const merged: WireTimestreamRecord = {
        ...body.CommonAttributes,
        ...r,
        Dimensions: [...(body.CommonAttributes?.Dimensions ?? []), ...(r.Dimensions ?? [])],
      }
      const deviceId = merged.Dimensions?.find((d) => d.Name === 'device_id')?.Value ?? ''
      const reason = behaviour.reject?.(merged, deviceId)
      if (reason) {
        rejected.push({ RecordIndex: i, Reason: reason })
        return
      }
      const key = (x: StoredRecord | WireTimestreamRecord) => `${JSON.stringify(x.Dimensions)}|${x.MeasureName}|${x.Time}`
      const existing = stored.find((s) => key(s) === key(merged))
      if (existing) {
        const same = JSON.stringify(existing.MeasureValues) === JSON.stringify(merged.MeasureValues)
        if (!same && (merged.Version ?? 0) <= (existing.Version ?? 0)) {
          rejected.push({
            RecordIndex: i,
            Reason: 'A record with the same dimensions, time and measure name exists with different values.',
            ExistingVersion: existing.Version ?? 0,
          })
        }
        return
      }
      stored.push({ ...merged, deviceId })
    })
    if (rejected.length > 0) {
      return awsJsonError('RejectedRecordsException', 'One or more records have been rejected.', 419, { RejectedRecords: rejected })
    }
    return { body: { RecordsIngested: { Total: body.Records.length, MemoryStore: body.Records.length, MagneticStore: 0 } } }
  })
  const client = new TimestreamWriteClient({ endpoint: server.url, region: 'eu-west-1', credentials: testCredentials, maxAttempts: 1 })
  return {
    server,
    client,
    stored,
    callSizes,
    close: async () => {
      client.destroy()
      await server.close()
    },
  }
}
