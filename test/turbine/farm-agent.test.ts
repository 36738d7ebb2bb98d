import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Agent, createAgent } from '@edgetwin/agent'
import { type EmbeddedBroker, startEmbeddedBroker } from '@edgetwin/cloud'
import { decodeEnvelope, recordValidators, type TurbineSample } from '@edgetwin/shared-schemas'
import { createFarm, createVirtualClock } from '@edgetwin/simulator'
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const T0 = Date.UTC(2026, 5, 1)

describe('wind farm feeding real turbine agents over MQTT', () => {
  let broker: EmbeddedBroker
  let dir: string
  beforeAll(async () => {
    broker = await startEmbeddedBroker({ port: 0 })
    dir = await mkdtemp(join(tmpdir(), 'edgetwin-farm-'))
  })
  afterAll(async () => {
    await broker?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('publishes every sample of every turbine, in order, with the agent store controller version', async () => {
    const received = new Map<string, TurbineSample[]>()
    const sub = await mqtt.connectAsync(broker.url, { protocolVersion: 4 })
    sub.on('message', (topic, payload) => {
      const envelope = decodeEnvelope(payload)
      const id = topic.split('/')[3]!
      const list = received.get(id) ?? []
      for (const r of envelope.records) list.push(recordValidators.metrics.parse(r.data))
      received.set(id, list)
    })
    await sub.subscribeAsync('dt/edgetwin/turbine/+/metrics', { qos: 1 })

    const agents: Agent[] = []
    const clock = createVirtualClock({ startTimeMs: T0, speedup: Number.POSITIVE_INFINITY })
    const farm = createFarm(
      { turbines: 2, seed: 3, meanWindSpeedMps: 12 },
      {
        clock,
        agentFor: (deviceId) => {
          const agent = createAgent({
            deviceId,
            kind: 'turbine',
            dataDir: join(dir, deviceId),
            broker: { url: broker.url },
            outbox: { synchronous: 'NORMAL' },
            logLevel: 'silent',
            jobs: {},
          })
          agents.push(agent)
          return agent
        },
      },
    )
    await farm.start()
    const finished = new Promise<void>((resolve) => clock.at(T0 + 120_000, () => resolve()))
    clock.start()
    await finished
    await farm.close()
    await clock.close()
    expect(farm.stats()).toMatchObject({ samplesAccepted: 240, acceptFailures: 0 })

    await expect.poll(() => [...received.values()].map((l) => l.length), { timeout: 10_000 }).toEqual([120, 120])
    await sub.endAsync()
    for (const [id, samples] of received) {
      expect(farm.turbineIds).toContain(id)
      const times = samples.map((s) => Date.parse(s.time))
      expect(times).toEqual([...times].sort((a, b) => a - b))
      expect(times[0]).toBe(T0 + 1000)
      // The store's version (from the jobs extension) is stamped on every sample.
      expect(new Set(samples.map((s) => s.controllerVersion)).size).toBe(1)
      expect(samples[0]!.controllerVersion).toBeTypeOf('number')
    }
  })
})
