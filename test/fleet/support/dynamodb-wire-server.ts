import { type WireRequest as HttpRequest, startWireServer, type WireResponse, type WireServer } from '../../support/aws-wire.js'

type Item = Record<string, Record<string, unknown>>

export interface WireRequest {
  readonly target: string
  readonly contentType: string | undefined
  readonly body: Record<string, unknown>
}

/**
 * A DynamoDB endpoint for tests, speaking the JSON 1.0 protocol as the API reference describes: POST /,
 * `X-Amz-Target: DynamoDB_20120810.<Operation>`, `Content-Type: application/x-amz-json-1.0`, errors as HTTP 400
 * with `{"__type": "com.amazonaws.dynamodb.v20120810#<Code>", "message"}`. Scan returns at most `pageSize` items
 * with LastEvaluatedKey, so clients must paginate.
 */
export class DynamoDbWireServer {
  readonly requests: WireRequest[] = []
  readonly tables = new Map<string, Map<string, Item>>()
  /** Error codes to answer the next requests with, first first (e.g. ProvisionedThroughputExceededException). */
  readonly failNext: string[] = []
  pageSize = 2
  endpoint = ''
  #wire: WireServer | undefined

  async start(): Promise<void> {
    this.#wire = await startWireServer((req) => this.#handle(req))
    this.endpoint = this.#wire.url
  }

  async close(): Promise<void> {
    await this.#wire?.close()
  }

  #table(name: string): Map<string, Item> {
    let t = this.tables.get(name)
    if (!t) {
      t = new Map()
      this.tables.set(name, t)
    }
    return t
  }

  #handle(req: HttpRequest): WireResponse {
    const body = JSON.parse(req.body.toString('utf8') || '{}') as Record<string, unknown>
    const target = req.target ?? ''
    this.requests.push({ target, contentType: req.headers['content-type'], body })
    // DynamoDB speaks JSON 1.0 (the shared server's default content type is JSON 1.1).
    const json = (out: unknown): WireResponse => ({ status: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: out })
    const error = (code: string, message: string): WireResponse => ({
      status: 400,
      headers: { 'content-type': 'application/x-amz-json-1.0' },
      body: { __type: `com.amazonaws.dynamodb.v20120810#${code}`, message },
    })
    const forced = this.failNext.shift()
    if (forced) return error(forced, 'forced by the test')
    const table = this.#table(String(body['TableName']))
    const keyOf = (k: Item) => String(k['DeviceId']?.['S'])
    switch (target) {
      case 'DynamoDB_20120810.GetItem': {
        const item = table.get(keyOf(body['Key'] as Item))
        return json(item ? { Item: item } : {})
      }
      case 'DynamoDB_20120810.PutItem': {
        const item = body['Item'] as Item
        if (!item['DeviceId']?.['S']) return error('ValidationException', 'One of the required keys was not given a value')
        table.set(keyOf(item), item)
        return json({})
      }
      case 'DynamoDB_20120810.Scan': {
        const keys = [...table.keys()].sort()
        const start = body['ExclusiveStartKey'] ? keys.indexOf(keyOf(body['ExclusiveStartKey'] as Item)) + 1 : 0
        const page = keys.slice(start, start + this.pageSize)
        const more = start + this.pageSize < keys.length
        return json({
          Items: page.map((k) => table.get(k)),
          Count: page.length,
          ScannedCount: page.length,
          ...(more ? { LastEvaluatedKey: { DeviceId: { S: page[page.length - 1] } } } : {}),
        })
      }
      default:
        return error('UnknownOperationException', `unknown operation ${target}`)
    }
  }
}
