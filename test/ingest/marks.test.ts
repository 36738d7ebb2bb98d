import { join } from 'node:path'
import { createDynamoDbHighWaterMarkStore, createSqliteHighWaterMarkStore, openCloudDatabase } from '@edgetwin/cloud'
import { describe, expect, it } from 'vitest'
import { highWaterMarkContract } from '../../cloud/src/router/high-water-mark.contract.js'
import { startDynamoWire } from './support/dynamodb-wire.js'
import { tempDir } from './support/fixtures.js'

highWaterMarkContract('SQLite', async () => {
  const tmp = tempDir()
  const dbs = [openCloudDatabase(join(tmp.dir, 'marks.db'))]
  return {
    marks: createSqliteHighWaterMarkStore(dbs[0]!),
    reopen: async () => {
      const db = openCloudDatabase(join(tmp.dir, 'marks.db'))
      dbs.push(db)
      return createSqliteHighWaterMarkStore(db)
    },
    cleanup: async () => {
      for (const db of dbs) db.close()
      tmp.remove()
    },
  }
})

highWaterMarkContract('DynamoDB at the wire', async () => {
  const wire = await startDynamoWire()
  return {
    marks: createDynamoDbHighWaterMarkStore({ client: wire.client, tableName: 'hwm' }),
    reopen: async () => createDynamoDbHighWaterMarkStore({ client: wire.client, tableName: 'hwm' }),
    cleanup: () => wire.close(),
  }
})

describe('DynamoDB high-water marks at the wire', () => {
  it('reads consistently and advances with a conditional UpdateItem', async () => {
    const wire = await startDynamoWire()
    try {
      const marks = createDynamoDbHighWaterMarkStore({ client: wire.client, tableName: 'hwm' })
      await marks.get('van-1', 'position')
      await marks.advance('van-1', 'position', 'tracker', 5)
      const [get, update] = wire.server.requests.map((r) => ({ target: r.target, body: r.json() }))
      expect(get).toEqual({
        target: 'DynamoDB_20120810.GetItem',
        body: { TableName: 'hwm', Key: { id: { S: 'van-1#position' } }, ConsistentRead: true },
      })
      expect(update).toEqual({
        target: 'DynamoDB_20120810.UpdateItem',
        body: {
          TableName: 'hwm',
          Key: { id: { S: 'van-1#position' } },
          UpdateExpression: 'SET #s = :seq',
          ConditionExpression: 'attribute_not_exists(#s) OR #s < :seq',
          ExpressionAttributeNames: { '#s': 'tracker' },
          ExpressionAttributeValues: { ':seq': { N: '5' } },
        },
      })
    } finally {
      await wire.close()
    }
  })

  it('turns a throttled call into a coded error', async () => {
    const wire = await startDynamoWire({ throttleFirstCalls: 1 })
    try {
      const marks = createDynamoDbHighWaterMarkStore({ client: wire.client, tableName: 'hwm' })
      await expect(marks.get('van-1', 'position')).rejects.toMatchObject({ code: 'CLOUD_HWM_STORE_FAILED' })
    } finally {
      await wire.close()
    }
  })
})
