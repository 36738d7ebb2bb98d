import type { SimulationRequest, SimulationStatus } from '@edgetwin/shared-schemas'
import { CloudError } from '../errors.js'
import type { SimulationRunner } from './ports.js'

export interface DispatchClientOptions {
  readonly baseUrl: string
  readonly token?: string
  readonly pollIntervalMs?: number
  readonly runTimeoutMs?: number
  /** At most this many simulations submitted at once; the rest wait their turn here, not on the server. */
  readonly maxConcurrent?: number
  /**
   * After a run succeeds, ask the server to copy its results to its object store (`POST /upload_to_s3`): S3 on
   * AWS, where the post-processor is triggered by the `.out` object; a local folder by default. @default true
   */
  readonly uploadResults?: boolean
  readonly fetchImpl?: typeof fetch
}

/** Counting semaphore: the concurrency cap on dispatched simulations. */
class Semaphore {
  private active = 0
  private readonly waiting: Array<() => void> = []
  constructor(private readonly limit: number) {}
  async acquire(): Promise<() => void> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve))
    this.active++
    return () => {
      this.active--
      this.waiting.shift()?.()
    }
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => {
      clearTimeout(t)
      reject(signal.reason)
    })
  })

/** The twin's client of the dispatch server's REST API (`PUT /execute`, `GET /status`, results). */
export function createDispatchClient(options: DispatchClientOptions): SimulationRunner {
  const doFetch = options.fetchImpl ?? fetch
  const base = options.baseUrl.replace(/\/$/, '')
  const headers: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {}
  const gate = new Semaphore(options.maxConcurrent ?? 4)

  async function call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const res = await doFetch(`${base}${path}`, {
      method,
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    })
    const text = await res.text()
    if (!res.ok) throw new CloudError('CLOUD_DISPATCH_FAILED', `${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`)
    return (res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T
  }

  return {
    async run(request: SimulationRequest, signal?: AbortSignal) {
      const release = await gate.acquire()
      try {
        const { id } = await call<{ id: string }>('PUT', '/execute', request, signal)
        const deadline = Date.now() + (options.runTimeoutMs ?? 600_000)
        let status: SimulationStatus
        for (;;) {
          status = await call<SimulationStatus>('GET', `/status?id=${encodeURIComponent(id)}`, undefined, signal)
          if (status.state === 'SUCCEEDED') break
          if (status.state === 'FAILED' || status.state === 'CANCELED') {
            throw new CloudError('CLOUD_DISPATCH_FAILED', `simulation ${id} ended ${status.state}: ${status.error ?? 'no reason given'}`)
          }
          if (Date.now() > deadline)
            throw new CloudError('CLOUD_DISPATCH_TIMEOUT', `simulation ${id} still ${status.state} after ${options.runTimeoutMs} ms`)
          await sleep(options.pollIntervalMs ?? 500, signal)
        }
        const outText = await call<string>('GET', `/simulations/${encodeURIComponent(id)}/results/simulation.out`, undefined, signal)
        if (options.uploadResults === false) return { simulationId: id, engineVersion: status.engineVersion, outText }
        const uploaded = await call<{ location: string; keys: string[] }>('POST', '/upload_to_s3', { id }, signal)
        return {
          simulationId: id,
          engineVersion: status.engineVersion,
          outText,
          resultLocations: uploaded.keys.map((k) => `${uploaded.location.replace(/\/$/, '')}/${k}`),
        }
      } finally {
        release()
      }
    },
  }
}
