import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

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
  #server: Server | undefined
  endpoint = ''

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      void this.#handle(req).then(
        ({ status, body }) => {
          res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': `req-${this.requests.length}` })
          res.end(JSON.stringify(body))
        },
        (err: Error) => {
          res.writeHead(500)
          res.end(err.message)
        },
      )
    })
    this.#server.listen(0, '127.0.0.1')
    await once(this.#server, 'listening')
    this.endpoint = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`
  }

  async close(): Promise<void> {
    this.#server?.closeAllConnections()
    await new Promise<void>((r) => this.#server?.close(() => r()) ?? r())
  }

  #table(name: string): Map<string, Item> {
    let t = this.tables.get(name)
    if (!t) {
      t = new Map()
      this.tables.set(name, t)
    }
    return t
  }

  async #handle(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>
    const target = String(req.headers['x-amz-target'] ?? '')
    this.requests.push({ target, contentType: req.headers['content-type'], body })
    const error = (code: string, message: string) => ({
      status: 400,
      body: { __type: `com.amazonaws.dynamodb.v20120810#${code}`, message },
    })
    const forced = this.failNext.shift()
    if (forced) return error(forced, 'forced by the test')
    const table = this.#table(String(body['TableName']))
    const keyOf = (k: Item) => String(k['DeviceId']?.['S'])
    switch (target) {
      case 'DynamoDB_20120810.GetItem': {
        const item = table.get(keyOf(body['Key'] as Item))
        return { status: 200, body: item ? { Item: item } : {} }
      }
      case 'DynamoDB_20120810.PutItem': {
        const item = body['Item'] as Item
        if (!item['DeviceId']?.['S']) return error('ValidationException', 'One of the required keys was not given a value')
        table.set(keyOf(item), item)
        return { status: 200, body: {} }
      }
      case 'DynamoDB_20120810.Scan': {
        const keys = [...table.keys()].sort()
        const start = body['ExclusiveStartKey'] ? keys.indexOf(keyOf(body['ExclusiveStartKey'] as Item)) + 1 : 0
        const page = keys.slice(start, start + this.pageSize)
        const more = start + this.pageSize < keys.length
        return {
          status: 200,
          body: {
            Items: page.map((k) => table.get(k)),
            Count: page.length,
            ScannedCount: page.length,
            ...(more ? { LastEvaluatedKey: { DeviceId: { S: page[page.length - 1] } } } : {}),
          },
        }
      }
      default:
        return error('UnknownOperationException', `unknown operation ${target}`)
    }
  }
}
