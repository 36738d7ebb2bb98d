import { ConditionalCheckFailedException, type DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb'
import type { SinkName, StreamName } from '@edgetwin/shared-schemas'
import { CloudError } from '../errors.js'
import type { SinkMarks } from './decide.js'
import type { HighWaterMarkStore } from './high-water-mark.js'

export interface DynamoDbHighWaterMarkOptions {
  readonly client: DynamoDBClient
  /** Partition key `id` (S); one item per (device, stream), one numeric attribute per sink. */
  readonly tableName: string
}

const SINKS: readonly SinkName[] = ['tracker', 'timeSeries', 'archive', 'deviceStatus']
export const hwmItemId = (deviceId: string, stream: StreamName) => `${deviceId}#${stream}`

/**
 * High-water marks in DynamoDB for the router Lambda. Reads are strongly consistent (another invocation may have
 * just advanced the mark after a shard rebalance); `advance` is a conditional write, `attribute_not_exists(#s) OR
 * #s < :seq`, so a mark never moves backwards even with two writers (DynamoDB developer guide, "Condition expressions").
 */
export function createDynamoDbHighWaterMarkStore(options: DynamoDbHighWaterMarkOptions): HighWaterMarkStore {
  const { client, tableName } = options
  return {
    async get(deviceId, stream) {
      try {
        const out = await client.send(
          new GetItemCommand({ TableName: tableName, Key: { id: { S: hwmItemId(deviceId, stream) } }, ConsistentRead: true }),
        )
        const marks: Partial<Record<SinkName, number>> = {}
        for (const sink of SINKS) {
          const v = out.Item?.[sink]?.N
          if (v !== undefined) marks[sink] = Number(v)
        }
        return marks as SinkMarks
      } catch (err) {
        throw new CloudError('CLOUD_HWM_STORE_FAILED', `GetItem on ${tableName} failed: ${(err as Error).message}`, { cause: err })
      }
    },
    async advance(deviceId, stream, sink, seq) {
      try {
        await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: { id: { S: hwmItemId(deviceId, stream) } },
            UpdateExpression: 'SET #s = :seq',
            ConditionExpression: 'attribute_not_exists(#s) OR #s < :seq',
            ExpressionAttributeNames: { '#s': sink },
            ExpressionAttributeValues: { ':seq': { N: String(seq) } },
          }),
        )
        return true
      } catch (err) {
        if (err instanceof ConditionalCheckFailedException) return false
        throw new CloudError('CLOUD_HWM_STORE_FAILED', `UpdateItem on ${tableName} failed: ${(err as Error).message}`, { cause: err })
      }
    },
    async close() {},
  }
}
