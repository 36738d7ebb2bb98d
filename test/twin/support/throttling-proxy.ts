import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ProxiedRequest {
  readonly method: string
  readonly path: string
  readonly body: string
  readonly atMs: number
  /** What the client got: the proxy's own refusal or the upstream server's status. */
  status: number
}

/** A refusal the proxy answers instead of forwarding: status and `Retry-After` as the wire carries them. */
export interface Refusal {
  readonly status: 429 | 503
  readonly retryAfter?: string
}

export interface ThrottlingProxy {
  readonly url: string
  readonly requests: ProxiedRequest[]
  close(): Promise<void>
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * A real HTTP hop in front of the dispatch server that can answer 429/503 with `Retry-After` on the wire (what a
 * load balancer or an API gateway in front of the service does), and forwards everything else unchanged.
 */
export async function startThrottlingProxy(
  upstream: string,
  refuse: (request: ProxiedRequest, index: number) => Refusal | undefined,
): Promise<ThrottlingProxy> {
  const requests: ProxiedRequest[] = []
  const server: Server = createServer(async (req, res) => {
    const request: ProxiedRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      body: await readBody(req),
      atMs: Date.now(),
      status: 0,
    }
    requests.push(request)
    const refusal = refuse(request, requests.length - 1)
    if (refusal) {
      request.status = refusal.status
      res.writeHead(refusal.status, {
        'content-type': 'application/json',
        ...(refusal.retryAfter !== undefined ? { 'retry-after': refusal.retryAfter } : {}),
      })
      res.end(
        JSON.stringify({ code: refusal.status === 429 ? 'TOO_MANY_REQUESTS' : 'SERVICE_UNAVAILABLE', message: 'refused by the proxy' }),
      )
      return
    }
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v
    let answer: Response
    try {
      answer = await fetch(`${upstream}${request.path}`, {
        method: request.method,
        headers,
        ...(request.body ? { body: request.body } : {}),
      })
    } catch (err) {
      request.status = 502
      res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'BAD_GATEWAY', message: String(err) }))
      return
    }
    request.status = answer.status
    const out: Record<string, string> = {}
    answer.headers.forEach((v, k) => {
      if (k !== 'content-length' && k !== 'transfer-encoding' && k !== 'content-encoding' && k !== 'connection') out[k] = v
    })
    res.writeHead(answer.status, out)
    res.end(Buffer.from(await answer.arrayBuffer()))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
