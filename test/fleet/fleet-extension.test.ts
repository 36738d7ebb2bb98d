import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createCloud, type EmbeddedBroker, fleetExtension, readArchiveObjects, startEmbeddedBroker } from '@edgetwin/cloud'
import { encodeEnvelope, telemetryTopic } from '@edgetwin/shared-schemas'
import mqtt from 'mqtt'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'

describe('the fleet extension of createCloud', () => {
  let broker: EmbeddedBroker | undefined
  const dirs: string[] = []
  afterEach(async () => {
    await broker?.close()
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })

  it('enriches the position events the router produces from MQTT telemetry', async () => {
    broker = await startEmbeddedBroker({ port: 0 })
    const dataDir = mkdtempSync(join(tmpdir(), 'edgetwin-fleet-ext-'))
    dirs.push(dataDir)
    const cloud = createCloud(
      { dataDir, broker: { url: broker.url, clientId: 'fleet-ext-test' }, logLevel: 'silent' },
      { logger: pino({ level: 'silent' }), extensions: [fleetExtension()] },
    )
    await cloud.start()
    const device = await mqtt.connectAsync(broker.url, { protocolVersion: 4 })
    try {
      // Two fixes 1 km apart (both kept by the 30 m DistanceBased filter), one inside London.
      const records = [
        { seq: 1, data: { sampleTime: '2026-10-05T08:00:00.000Z', lon: -0.1276, lat: 51.5072 } },
        { seq: 2, data: { sampleTime: '2026-10-05T08:05:00.000Z', lon: -0.1276, lat: 51.5162 } },
      ]
      const envelope = {
        deviceId: 'vehicle1',
        kind: 'vehicle' as const,
        stream: 'position' as const,
        schemaVersion: 1 as const,
        firstSeq: 1,
        lastSeq: 2,
        records,
      }
      await device.publishAsync(telemetryTopic('vehicle', 'vehicle1', 'position'), encodeEnvelope(envelope), { qos: 1 })
      const folder = join(dataDir, 'objects', 'enriched', 'vehicle1')
      // Objects are written to a temporary name and renamed (a reader never sees half an object): count only those.
      const objects = () => (existsSync(folder) ? readdirSync(folder).filter((f) => f.endsWith('.json') && !f.startsWith('.')) : [])
      const deadline = Date.now() + 10_000
      while (Date.now() < deadline && objects().length < 2) await new Promise((r) => setTimeout(r, 50))
      const files = objects().sort()
      expect(files).toHaveLength(2)
      expect(files[0]).toMatch(/^2026-10-05T08:00:00(\.000)?Z-[0-9a-f-]{36}\.json$/)
      const first = JSON.parse(readFileSync(join(folder, files[0]!), 'utf8'))
      expect(first).toMatchObject({ DeviceId: 'vehicle1', Position: [-0.1276, 51.5072], MeetsEmissionStandards: null })
    } finally {
      await device.endAsync()
      await cloud.close()
    }
  })

  it('buffers the position-event archive by archive.bufferIntervalS and writes the EventBridge event unchanged', async () => {
    broker = await startEmbeddedBroker({ port: 0 })
    const dataDir = mkdtempSync(join(tmpdir(), 'edgetwin-fleet-ext-'))
    dirs.push(dataDir)
    // 0 s: every position event is its own object at once (the default, 300 s, would keep it spooled).
    const cloud = createCloud(
      { dataDir, broker: { url: broker.url, clientId: 'fleet-archive-test' }, archive: { bufferIntervalS: 0 }, logLevel: 'silent' },
      { logger: pino({ level: 'silent' }), extensions: [fleetExtension()] },
    )
    await cloud.start()
    const device = await mqtt.connectAsync(broker.url, { protocolVersion: 4 })
    try {
      const envelope = {
        deviceId: 'vehicle2',
        kind: 'vehicle' as const,
        stream: 'position' as const,
        schemaVersion: 1 as const,
        firstSeq: 1,
        lastSeq: 1,
        records: [{ seq: 1, data: { sampleTime: '2026-10-05T08:00:00.250Z', lon: -0.1276, lat: 51.5072 } }],
      }
      await device.publishAsync(telemetryTopic('vehicle', 'vehicle2', 'position'), encodeEnvelope(envelope), { qos: 1 })
      const archived = () => readArchiveObjects(join(dataDir, 'objects'), 'position-events')
      const deadline = Date.now() + 20_000
      while (Date.now() < deadline && archived().length < 1) await new Promise((r) => setTimeout(r, 50))
      const objects = archived()
      expect(objects).toHaveLength(1)
      expect(objects[0]!.key).toMatch(/^position-events\/vehicle2\/\d{4}\/\d{2}\/\d{2}\/edgetwin-position-events-1-/)
      const [line] = objects[0]!.records as Array<Record<string, unknown>>
      // The AWS path's shape: no top-level DeviceId, `time` in whole seconds, ReceivedTime with milliseconds.
      expect(Object.keys(line!).sort()).toEqual([
        'account',
        'detail',
        'detail-type',
        'id',
        'region',
        'resources',
        'source',
        'time',
        'version',
      ])
      expect(line!['time']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/)
      expect(line!['detail']).toMatchObject({ DeviceId: 'vehicle2', SampleTime: '2026-10-05T08:00:00.250Z' })
    } finally {
      await device.endAsync()
      await cloud.close()
    }
  })
})
