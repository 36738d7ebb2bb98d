import { readFile, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import { S3Client } from '@aws-sdk/client-s3'
import { createLocalObjectStore, createS3ObjectStore, type ObjectStore } from '@edgetwin/openfast-container'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from './support.js'

interface ReceivedPut {
  path: string
  headers: IncomingMessage['headers']
  body: Buffer
}

/**
 * Decodes an `aws-chunked` body (S3 API reference, "Signature Calculations for the Authorization Header:
 * Transferring Payload in Multiple Chunks"): `<hex size>[;chunk-signature=...]\r\n<data>\r\n` ... `0\r\n<trailers>\r\n\r\n`.
 */
function decodeAwsChunked(raw: Buffer): { data: Buffer; trailers: Record<string, string> } {
  const parts: Buffer[] = []
  let at = 0
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', at)
    const size = Number.parseInt(raw.subarray(at, lineEnd).toString('latin1').split(';')[0], 16)
    at = lineEnd + 2
    if (size === 0) break
    parts.push(raw.subarray(at, at + size))
    at += size + 2
  }
  const trailers: Record<string, string> = {}
  for (const line of raw.subarray(at).toString('latin1').split('\r\n')) {
    const i = line.indexOf(':')
    if (i > 0) trailers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim()
  }
  return { data: Buffer.concat(parts), trailers }
}

/** A local HTTP server answering PutObject as S3 does (path-style), or with an S3 error document when told to. */
class FakeS3 {
  readonly puts: ReceivedPut[] = []
  readonly objects = new Map<string, Buffer>()
  failWith?: { status: number; code: string }
  server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      const raw = Buffer.concat(chunks)
      const path = new URL(req.url ?? '/', 'http://s3.local').pathname
      this.puts.push({ path, headers: req.headers, body: raw })
      if (this.failWith) {
        res.writeHead(this.failWith.status, { 'content-type': 'application/xml', 'x-amz-request-id': 'REQ1' })
        res.end(
          `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${this.failWith.code}</Code><Message>denied</Message><RequestId>REQ1</RequestId></Error>`,
        )
        return
      }
      const chunked = String(req.headers['content-encoding'] ?? '').includes('aws-chunked')
      const body = chunked ? decodeAwsChunked(raw).data : raw
      this.objects.set(decodeURIComponent(path), body)
      res.writeHead(200, { etag: '"abc"', 'x-amz-request-id': 'REQ2' })
      res.end()
    })
  })
  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r))
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }
  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()))
  }
}

const fakeS3 = new FakeS3()
let endpoint: string
beforeAll(async () => {
  endpoint = await fakeS3.start()
})
afterAll(() => fakeS3.close())

let dir: string
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ dir, cleanup } = await tempDir())
  fakeS3.puts.length = 0
  fakeS3.objects.clear()
  fakeS3.failWith = undefined
})
afterEach(() => cleanup())

function s3Store(): ObjectStore {
  const client = new S3Client({
    endpoint,
    region: 'eu-west-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts: 1,
  })
  return createS3ObjectStore(client, 'edgetwin-results')
}

/** Reads back what a store holds under `key`, for the contract suite. */
type ReadBack = (key: string) => Promise<Buffer>

/** The contract every ObjectStore adapter passes. */
function objectStoreContract(name: string, make: () => { store: ObjectStore; read: ReadBack }): void {
  describe(`ObjectStore contract: ${name}`, () => {
    it('stores a file under its key, byte for byte', async () => {
      const { store, read } = make()
      const file = join(dir, 'simulation.out')
      const content = Buffer.from(`Time\tGenSpeed\n(s)\t(rpm)\n${'0.0\t1173.7\n'.repeat(5000)}`)
      await writeFile(file, content)
      await store.putFile('simulations/sim-1/simulation.out', file)
      expect((await read('simulations/sim-1/simulation.out')).equals(content)).toBe(true)
    })

    it('rejects when the file does not exist', async () => {
      const { store } = make()
      await expect(store.putFile('simulations/sim-1/x.out', join(dir, 'missing.out'))).rejects.toThrow()
    })
  })
}

objectStoreContract('local folder', () => {
  const root = join(dir, 'store')
  return { store: createLocalObjectStore(root), read: (key) => readFile(join(root, key)) }
})

objectStoreContract('S3 (real SDK client against a local S3 endpoint)', () => ({
  store: s3Store(),
  read: async (key) => fakeS3.objects.get(`/edgetwin-results/${key}`) ?? Buffer.alloc(0),
}))

describe('S3 adapter on the wire', () => {
  it('sends a signed PutObject with length, content type and a checksum S3 can verify', async () => {
    const file = join(dir, 'summary.json')
    const content = Buffer.from('{"overspeedExceedances":0}\n')
    await writeFile(file, content)
    await s3Store().putFile('twin/sim-9/summary.json', file)
    expect(fakeS3.puts).toHaveLength(1)
    const put = fakeS3.puts[0]
    expect(put.path).toBe('/edgetwin-results/twin/sim-9/summary.json')
    expect(put.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/s3\/aws4_request/)
    expect(put.headers['content-type']).toBe('application/json')
    if (String(put.headers['content-encoding'] ?? '').includes('aws-chunked')) {
      expect(Number(put.headers['x-amz-decoded-content-length'])).toBe(content.length)
      const { data, trailers } = decodeAwsChunked(put.body)
      expect(data.equals(content)).toBe(true)
      const expected = Buffer.alloc(4)
      expected.writeUInt32BE(crc32(content))
      expect(trailers['x-amz-checksum-crc32']).toBe(expected.toString('base64'))
    } else {
      expect(Number(put.headers['content-length'])).toBe(content.length)
      expect(put.body.equals(content)).toBe(true)
    }
  })

  it('surfaces an S3 error (AccessDenied) to the caller', async () => {
    fakeS3.failWith = { status: 403, code: 'AccessDenied' }
    const file = join(dir, 'a.out')
    await writeFile(file, 'x')
    await expect(s3Store().putFile('k/a.out', file)).rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } })
  })
})
