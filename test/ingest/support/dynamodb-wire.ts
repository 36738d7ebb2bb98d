import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { awsJsonError, startWireServer, testCredentials, type WireServer } from '../../support/aws-wire.js'

type AttributeValue = { S?: string; N?: string }
type Item = Record<string, AttributeValue>

export interface DynamoWire {
  readonly server: WireServer
  readonly client: DynamoDBClient
  readonly tables: Map<string, Map<string, Item>>
  close(): Promise<void>
}

const scalar = (v: AttributeValue | undefined): string | number | undefined => (v?.N !== undefined ? Number(v.N) : v?.S)

/**
 * Answers as DynamoDB's JSON 1.0 API (target prefix `DynamoDB_20120810`) for GetItem, PutItem and UpdateItem with
 * `SET #a = :v` updates and `attribute_not_exists(#a) OR #a < :v` conditions; a failed condition is HTTP 400
 * `ConditionalCheckFailedException`, as the API reference says.
 */
export async function startDynamoWire(options: { throttleFirstCalls?: number } = {}): Promise<DynamoWire> {
  const tables = new Map<string, Map<string, Item>>()
  let calls = 0
  const server = await startWireServer((req) => {
    calls++
    if (calls <= (options.throttleFirstCalls ?? 0)) {
      return awsJsonError(
        'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
        'The level of configured provisioned throughput for the table was exceeded.',
      )
    }
    const body = req.json() as {
      TableName: string
      Key?: Item
      Item?: Item
      UpdateExpression?: string
      ConditionExpression?: string
      ExpressionAttributeNames?: Record<string, string>
      ExpressionAttributeValues?: Record<string, AttributeValue>
    }
    const table = tables.get(body.TableName) ?? new Map<string, Item>()
    tables.set(body.TableName, table)
    const keyOf = (item: Item) => JSON.stringify(Object.entries(item).sort())
    const names = body.ExpressionAttributeNames ?? {}
    const values = body.ExpressionAttributeValues ?? {}
    const conditionHolds = (existing: Item | undefined): boolean => {
      if (!body.ConditionExpression) return true
      const m = body.ConditionExpression.match(/^attribute_not_exists\((#\w+)\) OR (#\w+) < (:\w+)$/)
      if (!m) throw new Error(`unsupported condition ${body.ConditionExpression}`)
      const attr = names[m[1]!]!
      const current = scalar(existing?.[attr])
      return current === undefined || current < scalar(values[m[3]!])!
    }
    const op = req.target?.split('.')[1]
    if (op === 'GetItem') {
      const item = table.get(keyOf(body.Key!))
      return { headers: { 'content-type': 'application/x-amz-json-1.0' }, body: item ? { Item: item } : {} }
    }
    if (op === 'PutItem' || op === 'UpdateItem') {
      const keyItem = op === 'PutItem' ? Object.fromEntries(Object.entries(body.Item!).slice(0, 1)) : body.Key!
      const k = keyOf(keyItem)
      const existing = table.get(k)
      if (!conditionHolds(existing)) {
        return awsJsonError('com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException', 'The conditional request failed')
      }
      if (op === 'PutItem') table.set(k, body.Item!)
      else {
        const m = body.UpdateExpression!.match(/^SET (#\w+) = (:\w+)$/)
        if (!m) throw new Error(`unsupported update ${body.UpdateExpression}`)
        table.set(k, { ...(existing ?? body.Key!), [names[m[1]!]!]: values[m[2]!]! })
      }
      return { headers: { 'content-type': 'application/x-amz-json-1.0' }, body: {} }
    }
    return awsJsonError('com.amazon.coral.validate#ValidationException', `unsupported ${req.target}`)
  })
  const client = new DynamoDBClient({ endpoint: server.url, region: 'eu-west-2', credentials: testCredentials, maxAttempts: 1 })
  return {
    server,
    client,
    tables,
    close: async () => {
      client.destroy()
      await server.close()
    },
  }
}
