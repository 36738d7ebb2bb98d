import { LocationClient } from '@aws-sdk/client-location'
import { restJsonError, startWireServer, testCredentials, type WireServer } from '../../support/aws-wire.js'

interface Update {
  DeviceId: string
  SampleTime: string
  Position: [number, number]
  Accuracy?: { Horizontal: number }
}

export interface LocationWire {
  readonly server: WireServer
  readonly client: LocationClient
  /** Update counts of every BatchUpdateDevicePosition call. */
  readonly batchSizes: number[]
  /** DeviceId@SampleTime of every update sent, per call. */
  readonly sent: string[][]
  close(): Promise<void>
}

export interface LocationBehaviour {
  /** Answer the first N BatchUpdateDevicePosition calls with HTTP 429 ThrottlingException. */
  readonly throttleFirstCalls?: number
  /** Return a BatchItemError code for this update in this call, or undefined to store it. */
  readonly itemError?: (call: number, update: Update) => string | undefined
  /** @default 10 */
  readonly pageSize?: number
}

// A service-side distance check, as the tracker's DistanceBased filtering does; equirectangular is plenty at 30 m.
function metresBetween(a: [number, number], b: [number, number]): number {
  const rad = Math.PI / 180
  const x = (b[0] - a[0]) * rad * Math.cos(((a[1] + b[1]) / 2) * rad)
  const y = (b[1] - a[1]) * rad
  return Math.sqrt(x * x + y * y) * 6_371_008.8
}

/**
 * Answers as Amazon Location's REST-JSON tracking API: `POST /tracking/v0/trackers/{name}/positions`
 * (BatchUpdateDevicePosition, at most 10 updates, per-entry `Errors`) and
 * `POST /tracking/v0/trackers/{name}/devices/{id}/list-positions` (GetDevicePositionHistory, paginated), for a
 * tracker with `PositionFiltering: DistanceBased`.
 */
export async function startLocationWire(trackerName: string, behaviour: LocationBehaviour = {}): Promise<LocationWire> {
  const stored = new Map<string, Array<Update & { ReceivedTime: string }>>()
  const batchSizes: number[] = []
  const sent: string[][] = []
  let calls = 0
  const pageSize = behaviour.pageSize ?? 10
  const server = await startWireServer((req) => {
    if (!String(req.headers.authorization).startsWith('AWS4-HMAC-SHA256 ')) return restJsonError('AccessDeniedException', 'unsigned', 403)
    const base = `/tracking/v0/trackers/${trackerName}`
    if (req.method === 'POST' && req.path === `${base}/positions`) {
      const { Updates } = req.json() as { Updates: Update[] }
      calls++
      batchSizes.push(Updates.length)
      sent.push(Updates.map((u) => `${u.DeviceId}@${u.SampleTime}`))
      if (Updates.length < 1 || Updates.length > 10) {
        return restJsonError('ValidationException', 'Updates must have between 1 and 10 items', 400)
      }
      if (calls <= (behaviour.throttleFirstCalls ?? 0)) return restJsonError('ThrottlingException', 'Rate exceeded', 429)
      const errors: unknown[] = []
      for (const u of Updates) {
        const code = behaviour.itemError?.(calls, u)
        if (code) {
          errors.push({ DeviceId: u.DeviceId, SampleTime: u.SampleTime, Error: { Code: code, Message: `${code} for ${u.DeviceId}` } })
          continue
        }
        const list = stored.get(u.DeviceId) ?? []
        const last = list[list.length - 1]
        if (last && metresBetween(last.Position, u.Position) < 30) continue
        list.push({ ...u, ReceivedTime: new Date().toISOString() })
        stored.set(u.DeviceId, list)
      }
      return { headers: { 'content-type': 'application/json' }, body: { Errors: errors } }
    }
    const m = req.path.match(new RegExp(`^${base}/devices/([^/]+)/list-positions$`))
    if (req.method === 'POST' && m) {
      const body = req.json() as { StartTimeInclusive?: string; EndTimeExclusive?: string; NextToken?: string }
      const from = body.StartTimeInclusive ? Date.parse(body.StartTimeInclusive) : -Infinity
      const to = body.EndTimeExclusive ? Date.parse(body.EndTimeExclusive) : Infinity
      const all = (stored.get(m[1]!) ?? []).filter((p) => Date.parse(p.SampleTime) >= from && Date.parse(p.SampleTime) < to)
      const start = body.NextToken ? Number(body.NextToken) : 0
      const page = all.slice(start, start + pageSize)
      const next = start + pageSize < all.length ? String(start + pageSize) : undefined
      return {
        headers: { 'content-type': 'application/json' },
        body: { DevicePositions: page, ...(next ? { NextToken: next } : {}) },
      }
    }
    return restJsonError('ResourceNotFoundException', `no route ${req.method} ${req.path}`, 404)
  })
  // Location prefixes the host with `tracking.`; a local endpoint has no such host, so the prefix is disabled.
  const client = new LocationClient({
    endpoint: server.url,
    region: 'eu-west-2',
    credentials: testCredentials,
    maxAttempts: 1,
    disableHostPrefix: true,
  })
  return {
    server,
    client,
    batchSizes,
    sent,
    close: async () => {
      client.destroy()
      await server.close()
    },
  }
}
