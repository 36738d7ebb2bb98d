import type { CloudTwinConfig, SimulationRequest, SimulationStatus } from '@edgetwin/shared-schemas'
import type { Logger } from 'pino'
import { CloudError } from '../errors.js'
import type { SimulationRunner } from './ports.js'
import { isRetryableStatus, retryAfterMs, throttleDelayMs } from './retry-after.js'

export interface DispatchClientOptions {
  readonly baseUrl: string
  readonly token?: string
  readonly pollIntervalMs?: number
  /** Whole run: first submission to results, waits after 429/503 included. @default 600_000 */
  readonly runTimeoutMs?: number
  /** At most this many simulations submitted at once; the rest wait their turn here, not on the server. */
  readonly maxConcurrent?: number
  /**
   * After a run succeeds, ask the server to copy its results to its object store (`POST /upload_to_s3`): S3 on
   * AWS, where the post-processor is triggered by the `.out` object; a local folder by default. @default true
   */
  readonly uploadResults?: boolean
  /** First backoff after a 429/503 without `Retry-After` (full jitter, doubling). @default 250 */
  readonly retryBaseDelayMs?: number
  /** Cap of that backoff; a `Retry-After` is obeyed as sent, within the run's deadline. @default 10_000 */
  readonly retryMaxDelayMs?: number
  readonly fetchImpl?: typeof fetch
  readonly log?: Logger
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
    if (signal?.aborted) return reject(signal.reason)
    const t = setTimeout(resolve, ms)
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t)
        reject(signal.reason)
      },
      { once: true },
    )
  })

/**
 * The twin's client of the dispatch server's REST API (`PUT /execute`, `GET /status`, results). A 429 (rate
 * limit, queue full) or 503 means the server did not act on the request, so every call is sent again: after the
 * server's `Retry-After`, or after a capped, jittered exponential backoff, until the run's deadline. Only a run
 * that FAILED on the server, a non-retryable answer or the deadline ends a run in error.
 */
export function createDispatchClient(options: DispatchClientOptions): SimulationRunner {
  const doFetch = options.fetchImpl ?? fetch
  const base = options.baseUrl.replace(/\/$/, '')
  const headers: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {}
  const gate = new Semaphore(options.maxConcurrent ?? 4)
  const runTimeoutMs = options.runTimeoutMs ?? 600_000
  const policy = { baseDelayMs: options.retryBaseDelayMs ?? 250, maxDelayMs: options.retryMaxDelayMs ?? 10_000 }

  async function call<T>(method: string, path: string, deadlineMs: number, body?: unknown, signal?: AbortSignal): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      let res: Response
      try {
        res = await doFetch(`${base}${path}`, {
          method,
          headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal,
        })
      } catch (err) {
        // A read that lost its connection (a keep-alive socket the server closed, a reset) is asked again; a
        // submission is not, since the server may have accepted it.
        if (method !== 'GET' || signal?.aborted) throw err
        const delayMs = throttleDelayMs(attempt, undefined, policy)
        if (Date.now() + delayMs > deadlineMs) {
          throw new CloudError('CLOUD_DISPATCH_FAILED', `${method} ${path} failed ${attempt + 1} time(s): ${(err as Error).message}`, {
            cause: err,
          })
        }
        options.log?.debug({ method, path, attempt, delayMs, err }, 'dispatch server connection failed; retrying')
        await sleep(delayMs, signal)
        continue
      }
      const text = await res.text()
      if (res.ok) return (res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T
      if (!isRetryableStatus(res.status)) {
        throw new CloudError('CLOUD_DISPATCH_FAILED', `${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`)
      }
      const retryAfter = retryAfterMs(res.headers.get('retry-after'), Date.now())
      const delayMs = throttleDelayMs(attempt, retryAfter, policy)
      if (Date.now() + delayMs > deadlineMs) {
        throw new CloudError(
          'CLOUD_DISPATCH_THROTTLED',
          `${method} ${path} answered ${res.status} ${attempt + 1} time(s)` +
            `${retryAfter === undefined ? '' : ` (Retry-After ${Math.ceil(retryAfter / 1000)} s)`}; ` +
            `waiting ${delayMs} ms more would pass the run's ${runTimeoutMs} ms deadline: ${text.slice(0, 200)}`,
        )
      }
      options.log?.debug(
        { method, path, status: res.status, attempt, delayMs, retryAfterMs: retryAfter },
        'dispatch server throttled; retrying',
      )
      await sleep(delayMs, signal)
    }
  }

  return {
    async run(request: SimulationRequest, signal?: AbortSignal) {
      const release = await gate.acquire()
      try {
        const deadlineMs = Date.now() + runTimeoutMs
        const { id } = await call<{ id: string }>('PUT', '/execute', deadlineMs, request, signal)
        let status: SimulationStatus
        for (;;) {
          status = await call<SimulationStatus>('GET', `/status?id=${encodeURIComponent(id)}`, deadlineMs, undefined, signal)
          if (status.state === 'SUCCEEDED') break
          if (status.state === 'FAILED' || status.state === 'CANCELED') {
            throw new CloudError('CLOUD_DISPATCH_FAILED', `simulation ${id} ended ${status.state}: ${status.error ?? 'no reason given'}`)
          }
          if (Date.now() > deadlineMs)
            throw new CloudError('CLOUD_DISPATCH_TIMEOUT', `simulation ${id} still ${status.state} after ${runTimeoutMs} ms`)
          await sleep(options.pollIntervalMs ?? 500, signal)
        }
        const resultsPath = `/simulations/${encodeURIComponent(id)}/results/simulation.out`
        const outText = await call<string>('GET', resultsPath, deadlineMs, undefined, signal)
        if (options.uploadResults === false) return { simulationId: id, engineVersion: status.engineVersion, outText }
        const uploaded = await call<{ location: string; keys: string[] }>('POST', '/upload_to_s3', deadlineMs, { id }, signal)
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

/** The dispatch client for the `twin.dispatch` section of the cloud config (the server's URL may come from elsewhere). */
export function dispatchClientFromConfig(
  dispatch: CloudTwinConfig['dispatch'],
  extra: { baseUrl?: string; token?: string; log?: Logger } = {},
): SimulationRunner {
  return createDispatchClient({
    baseUrl: extra.baseUrl ?? dispatch.url,
    ...(extra.token ? { token: extra.token } : {}),
    ...(extra.log ? { log: extra.log } : {}),
    maxConcurrent: dispatch.maxConcurrent,
    pollIntervalMs: dispatch.pollIntervalMs,
    runTimeoutMs: dispatch.runTimeoutMs,
    uploadResults: dispatch.uploadResults,
    retryBaseDelayMs: dispatch.retryBaseDelayMs,
    retryMaxDelayMs: dispatch.retryMaxDelayMs,
  })
}
