import { startWireServer, type WireRequest, type WireResponse, type WireServer } from '../../support/aws-wire.js'

export type S3WireRequest = WireRequest

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
  readonly objects = new Map<string, { body: Buffer; contentType: string | undefined }>()
  readonly failNext: { status: number; code: string }[] = []
  maxKeys = 2
  endpoint = ''

  #wire: WireServer | undefined

  get requests(): readonly S3WireRequest[] {
    return this.#wire?.requests ?? []
  }

  async start(): Promise<void> {
    this.#wire = await startWireServer((req) => this.#handle(req))
    this.endpoint = this.#wire.url
  }

  async close(): Promise<void> {
    await this.#wire?.close()
  }

  #handle(req: WireRequest): WireResponse {
    const url = { pathname: req.path, searchParams: req.query }
    let raw = req.body
    const xmlError = (status: number, code: string, message: string) => ({
      status,
      headers: { 'content-type': 'application/xml' },
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>r</RequestId></Error>`,
    })
    const forced = this.failNext.shift()
    if (forced) return xmlError(forced.status, forced.code, 'forced by the test')
    const [, bucket, ...rest] = url.pathname.split('/')
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
