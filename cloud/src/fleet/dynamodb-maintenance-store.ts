import {
  type AttributeValue,
  DynamoDBClient,
  type DynamoDBClientConfig,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  type ScanCommandOutput,
} from '@aws-sdk/client-dynamodb'
import { FleetError } from './errors.js'
import { type MaintenanceRecord, type MaintenanceStore, parseMaintenanceRecord } from './maintenance-store.js'

export interface DynamoDbMaintenanceStoreOptions {
  readonly tableName: string
  /** A record changes rarely and every position event needs one: cache reads this long. 0 disables. */
  readonly cacheTtlMs: number
  /** Passed to the SDK client (region, endpoint, credentials, maxAttempts). */
  readonly client?: DynamoDBClientConfig
  /** @default Date.now */
  readonly now?: () => number
}

type Item = Record<string, AttributeValue>

/** DynamoDB attribute-value marshalling for the table's four attributes (DynamoDB API reference, AttributeValue). */
function toItem(r: MaintenanceRecord): Item {
  return {
    DeviceId: { S: r.DeviceId },
    MeetsEmissionStandards: { BOOL: r.MeetsEmissionStandards },
    Mileage: { N: String(r.Mileage) },
    PurchaseDate: { S: r.PurchaseDate },
  }
}

function fromItem(item: Item): MaintenanceRecord {
  // Validate what comes back: a table edited by hand must not poison enrichment with the wrong types.
  return parseMaintenanceRecord({
    DeviceId: item['DeviceId']?.S,
    MeetsEmissionStandards: item['MeetsEmissionStandards']?.BOOL,
    Mileage: item['Mileage']?.N === undefined ? undefined : Number(item['Mileage'].N),
    PurchaseDate: item['PurchaseDate']?.S,
  })
}

/** The AWS adapter: `GetItem` (eventually consistent, cached briefly), `PutItem`, paginated `Scan`. */
export function createDynamoDbMaintenanceStore(options: DynamoDbMaintenanceStoreOptions): MaintenanceStore {
  const client = new DynamoDBClient(options.client ?? {})
  const now = options.now ?? Date.now
  const TableName = options.tableName
  // Promises are cached, not values, so concurrent events for one vehicle share a single GetItem.
  const cache = new Map<string, { expiresAtMs: number; value: Promise<MaintenanceRecord | null> }>()
  const fail = (op: string, err: unknown) =>
    new FleetError('CLOUD_MAINTENANCE_UNAVAILABLE', `DynamoDB ${op} on ${TableName} failed: ${(err as Error).message}`, { cause: err })

  async function fetch(deviceId: string): Promise<MaintenanceRecord | null> {
    try {
      const out = await client.send(new GetItemCommand({ TableName, Key: { DeviceId: { S: deviceId } } }))
      return out.Item ? fromItem(out.Item) : null
    } catch (err) {
      if (err instanceof FleetError) throw err
      throw fail('GetItem', err)
    }
  }

  return {
    get(deviceId) {
      if (options.cacheTtlMs <= 0) return fetch(deviceId)
      const hit = cache.get(deviceId)
      if (hit && hit.expiresAtMs > now()) return hit.value
      const value = fetch(deviceId)
      cache.set(deviceId, { expiresAtMs: now() + options.cacheTtlMs, value })
      // A failed read is not cached: the next event retries.
      value.catch(() => cache.delete(deviceId))
      return value
    },
    async put(input) {
      const record = parseMaintenanceRecord(input)
      try {
        await client.send(new PutItemCommand({ TableName, Item: toItem(record) }))
      } catch (err) {
        throw fail('PutItem', err)
      }
      cache.delete(record.DeviceId)
    },
    async list() {
      const out: MaintenanceRecord[] = []
      let ExclusiveStartKey: Item | undefined
      do {
        let page: ScanCommandOutput
        try {
          page = await client.send(new ScanCommand({ TableName, ExclusiveStartKey }))
        } catch (err) {
          throw fail('Scan', err)
        }
        for (const item of page.Items ?? []) out.push(fromItem(item))
        ExclusiveStartKey = page.LastEvaluatedKey
      } while (ExclusiveStartKey)
      return out.sort((a, b) => (a.DeviceId < b.DeviceId ? -1 : a.DeviceId > b.DeviceId ? 1 : 0))
    },
    async close() {
      cache.clear()
      client.destroy()
    },
  }
}
