import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createGateway } from '@edgetwin/agent'
import { createValidator, GatewayProfileConfig, parseConfig } from '@edgetwin/shared-schemas'
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type MosquittoHandle, startMosquitto } from '../support/mosquitto.js'
import { capturedLogger, waitFor } from './helpers.js'

let site: MosquittoHandle
let dataDir: string
beforeAll(async () => {
  site = await startMosquitto()
  dataDir = mkdtempSync(join(tmpdir(), 'edgetwin-gw-mqtt-'))
})
afterAll(async () => {
  await site?.stop()
  if (site) rmSync(site.dir, { recursive: true, force: true })
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

const T0 = Date.UTC(2030, 5, 1, 10, 0, 0)

describe('gateway: MQTT from plant devices on a site broker', () => {
  it('aggregates device messages and loses none published while the gateway was down', async () => {
    const config = parseConfig(createValidator(GatewayProfileConfig), {
      mqtt: [{ name: 'line-1', url: site.url, topics: ['plant/+/telemetry'], deviceIdLevel: 1, timeField: 'time', metrics: ['currentA'] }],
      processing: { windowS: 60, allowedLatenessS: 0 },
      residency: { allow: [] },
      retryDelayMs: 50,
    })
    const emitted: Array<{ stream: string; record: Record<string, unknown> }> = []
    const make = () =>
      createGateway(config, {
        dataDir,
        logger: capturedLogger().logger,
        emit: async (stream, record) => {
          emitted.push({ stream, record: record as Record<string, unknown> })
        },
        now: () => T0 - 3_600_000,
      })
    const device = await mqtt.connectAsync(site.url, { clientId: 'motor-7', protocolVersion: 4 })
    const send = (s: number, currentA: number) =>
      device.publishAsync(
        'plant/motor-7/telemetry',
        JSON.stringify({ time: new Date(T0 + s * 1000).toISOString(), currentA, raw: 'RAW' }),
        { qos: 1 },
      )

    const first = make()
    await first.start()
    await new Promise((r) => setTimeout(r, 300)) // the persistent session's subscription is in place
    for (let s = 0; s < 10; s++) await send(s, 10 + s)
    await device.publishAsync('plant/motor-7/telemetry', 'not json', { qos: 1 })
    await waitFor(() => (first.status().sources[0]?.rows ?? 0) >= 10, 'ten messages processed')
    await first.close()

    // Published while the gateway is down: the broker keeps them in the gateway's session.
    for (let s = 10; s < 20; s++) await send(s, 10 + s)
    await send(61, 1) // moves event time past the first window
    const second = make()
    await second.start()
    await waitFor(() => emitted.some((e) => e.stream === 'aggregate'), 'the first window to close')
    await second.close()
    await device.endAsync()
    expect(emitted.map((e) => e.record)).toEqual([
      {
        windowStart: new Date(T0).toISOString(),
        windowEnd: new Date(T0 + 60_000).toISOString(),
        sourceId: 'motor-7',
        metric: 'currentA',
        count: 20,
        mean: 19.5,
        min: 10,
        max: 29,
        p95: 28, // nearest rank: ceil(0.95 × 20) = 19th of 10..29
      },
    ])
  })
})
