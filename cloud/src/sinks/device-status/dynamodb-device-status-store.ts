import { ConditionalCheckFailedException, type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb'
import type { HealthReport } from '@edgetwin/shared-schemas'
import { CloudError } from '../../errors.js'
import type { DeviceStatusStore } from './device-status-store.js'

export interface DynamoDbDeviceStatusOptions {
  readonly client: DynamoDBClient
  /** Partition key `deviceId` (S). */
  readonly tableName: string
}

/** Latest health per device in DynamoDB; a conditional put keeps an older report from overwriting a newer one. */
export function createDynamoDbDeviceStatusStore(options: DynamoDbDeviceStatusOptions): DeviceStatusStore {
  const { client, tableName } = options
  return {
    async record(reports) {
      for (const r of reports) {
        try {
          await client.send(
            new PutItemCommand({
              TableName: tableName,
              Item: { deviceId: { S: r.deviceId }, time: { S: r.time }, status: { S: r.status }, report: { S: JSON.stringify(r) } },
              // ISO-8601 UTC strings compare in time order.
              ConditionExpression: 'attribute_not_exists(#t) OR #t < :t',
              ExpressionAttributeNames: { '#t': 'time' },
              ExpressionAttributeValues: { ':t': { S: r.time } },
            }),
          )
        } catch (err) {
          if (err instanceof ConditionalCheckFailedException) continue
          throw new CloudError('CLOUD_SINK_FAILED', `PutItem on ${tableName} failed: ${(err as Error).message}`, { cause: err })
        }
      }
      return { written: reports.length, rejected: [] }
    },
    async get(deviceId) {
      const out = await client.send(new GetItemCommand({ TableName: tableName, Key: { deviceId: { S: deviceId } }, ConsistentRead: true }))
      const s = out.Item?.['report']?.S
      return s ? (JSON.parse(s) as HealthReport) : undefined
    },
    async close() {},
  }
}
