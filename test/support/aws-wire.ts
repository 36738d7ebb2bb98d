import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface WireRequest {
  readonly method: string
  readonly path: string
  readonly query: URLSearchParams
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
  /** `X-Amz-Target` of the AWS JSON protocols, e.g. `Firehose_20150804.PutRecordBatch`. */
  readonly target: string | undefined
  // biome-ignore lint/suspicious/noExplicitAny: request bodies are asserted field by field in the tests.
  json(): any
}

export interface WireResponse {
  readonly status?: number
  readonly headers?: Record<string, string>
  /** Serialised as JSON unless a Buffer or string. */
  readonly body?: unknown
}

export type WireHandler = (req: WireRequest) => WireResponse | Promise<WireResponse>

export interface WireServer {
  readonly url: string
  readonly requests: WireRequest[]
  close(): Promise<void>
}

/** Credentials for the SDK clients in wire tests; requests are still SigV4-signed with them. */
export const testCredentials = { accessKeyId: 'AKIDEDGETWINTEST', secretAccessKey: 'edgetwin-test-secret' }

/**
 * A local HTTP server that answers AWS SDK v3 clients as the service would. Every request is recorded so tests
 * assert on what crossed the wire.
 */
export async function startWireServer(handler: WireHandler): Promise<WireServer> {
  const requests: WireRequest[] = []
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const url = new URL(req.url ?? '/', 'http://localhost')
    const body = Buffer.concat(chunks)
    const wire: WireRequest = {
      method: req.method ?? 'GET',
      path: decodeURIComponent(url.pathname),
      query: url.searchParams,
      headers: req.headers,
      body,
      target: req.headers['x-amz-target'] as string | undefined,
      json: () => JSON.parse(body.toString('utf8')),
    }
    requests.push(wire)
    try {
      const out = await handler(wire)
      const payload =
        out.body === undefined ? '' : Buffer.isBuffer(out.body) || typeof out.body === 'string' ? out.body : JSON.stringify(out.body)
      res.writeHead(out.status ?? 200, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-requestid': `req-${requests.length}`,
        ...out.headers,
      })
      res.end(payload)
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' })
      res.end(String(err))
    }
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** An error as the AWS JSON 1.0/1.1 protocols send it: `__type` in the body, HTTP 4xx/5xx. */
export function awsJsonError(type: string, message: string, status = 400, extra: Record<string, unknown> = {}): WireResponse {
  return { status, headers: { 'x-amzn-errortype': type }, body: { __type: type, message, ...extra } }
}

/** An error as the REST-JSON protocol sends it: the type in `x-amzn-ErrorType`, the message in the body. */
export function restJsonError(type: string, message: string, status: number): WireResponse {
  return { status, headers: { 'x-amzn-errortype': type, 'content-type': 'application/json' }, body: { message } }
}

export const noSleep = async (): Promise<void> => {}
