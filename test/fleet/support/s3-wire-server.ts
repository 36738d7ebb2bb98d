import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface S3WireRequest {
  readonly method: string
  readonly path: string
  readonly query: URLSearchParams
  readonly headers: IncomingMessage['headers']
}

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** Decodes the `aws-chunked` content encoding (S3 API reference, "Signature Calculations ... in multiple chunks"). */
function decodeAwsChunked(raw: Buffer): Buffer {
  const out: Buffer[] = []
  let i = 0
  for (;;) {
    const eol = raw.indexOf('\r\n', i)
    const size = Number.parseInt(raw.subarray(i, eol).toString('latin1').split(';')[0]!, 16)
    if (!size) break
    out.push(raw.subarray(eol + 2, eol + 2 + size))
    i = eol + 2 + size + 2
  }
  return Buffer.concat(out)
}

/**
 * An S3 endpoint for tests, path-style (`/<bucket>/<key>`), as the S3 API reference describes PutObject,
 * GetObject (404 `NoSuchKey` XML error) and ListObjectsV2 (`list-type=2`, at most `maxKeys` per page, then
 * IsTruncated and NextContinuationToken).
 */
export class S3WireServer {
  readonly requests: S3WireRequest[] = []
  readonly objects = new Map<string, { body: Buffer; contentType: string | undefined }>()
  readonly failNext: { status: number; code: string }[] = []
  maxKeys = 2
  endpoint = ''
  #server: Server | undefined

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      void this.#handle(req).then(
        ({ status, body, headers }) => {
          res.writeHead(status, { 'x-amz-request-id': `r${this.requests.length}`, ...headers })
          res.end(body)
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

  async #handle(req: IncomingMessage): Promise<{ status: number; body: string | Buffer; headers?: Record<string, string> }> {
    const url = new URL(req.url ?? '/', 'http://x')
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    let raw = Buffer.concat(chunks)
    this.requests.push({ method: req.method ?? '', path: decodeURIComponent(url.pathname), query: url.searchParams, headers: req.headers })
    const xmlError = (status: number, code: string, message: string) => ({
      status,
      headers: { 'content-type': 'application/xml' },
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>r</RequestId></Error>`,
    })
    const forced = this.failNext.shift()
    if (forced) return xmlError(forced.status, forced.code, 'forced by the test')
    const [, bucket, ...rest] = decodeURIComponent(url.pathname).split('/')
    const key = rest.join('/')
    const id = `${bucket}/${key}`
    if (req.method === 'PUT' && key) {
      if (String(req.headers['content-encoding'] ?? '').includes('aws-chunked')) raw = decodeAwsChunked(raw)
      this.objects.set(id, { body: raw, contentType: req.headers['content-type'] })
      return { status: 200, headers: { etag: '"e"' }, body: '' }
    }
    if (req.method === 'GET' && key) {
      const o = this.objects.get(id)
      if (!o) return xmlError(404, 'NoSuchKey', 'The specified key does not exist.')
      return {
        status: 200,
        headers: { 'content-type': o.contentType ?? 'binary/octet-stream', 'content-length': String(o.body.length) },
        body: o.body,
      }
    }
    if (req.method === 'GET' && url.searchParams.get('list-type') === '2') {
      const prefix = url.searchParams.get('prefix') ?? ''
      const keys = [...this.objects.keys()]
        .filter((k) => k.startsWith(`${bucket}/${prefix}`))
        .map((k) => k.slice(bucket!.length + 1))
        .sort()
      const token = url.searchParams.get('continuation-token')
      const start = token ? Number(Buffer.from(token, 'base64').toString()) : 0
      const page = keys.slice(start, start + this.maxKeys)
      const truncated = start + this.maxKeys < keys.length
      const body =
        `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
        `<Name>${bucket}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${this.maxKeys}</MaxKeys>` +
        `<IsTruncated>${truncated}</IsTruncated>` +
        (truncated
          ? `<NextContinuationToken>${Buffer.from(String(start + this.maxKeys)).toString('base64')}</NextContinuationToken>`
          : '') +
        page
          .map((k) => `<Contents><Key>${xmlEscape(k)}</Key><Size>${this.objects.get(`${bucket}/${k}`)!.body.length}</Size></Contents>`)
          .join('') +
        `</ListBucketResult>`
      return { status: 200, headers: { 'content-type': 'application/xml' }, body }
    }
    return xmlError(400, 'InvalidRequest', `unsupported ${req.method} ${url.pathname}`)
  }
}
