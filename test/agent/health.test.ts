import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import type { HealthReport } from '@edgetwin/shared-schemas'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type MosquittoHandle, startMosquitto } from '../support/mosquitto.js'
import { bundleChild } from './child.js'
import { agentConfig, Collector, tempDir } from './support.js'

describe('health reports and the Last Will', () => {
  let broker: MosquittoHandle
  const tmp = tempDir()
  beforeAll(async () => {
    broker = await startMosquitto()
  })
  afterAll(async () => {
    await broker?.stop()
    tmp.cleanup()
  })

  for (const protocolVersion of [4, 5] as const) {
    it(`publishes periodic health, and the broker publishes the offline will when the agent dies (MQTT ${protocolVersion === 5 ? '5' : '3.1.1'})`, async () => {
      const child = await bundleChild()
      const collector = await Collector.connect(broker.url, 'dt/edgetwin/turbine/+/health', protocolVersion)
      const config = agentConfig(broker.url, `${tmp.dir}/v${protocolVersion}`, {
        broker: { url: broker.url, protocolVersion },
        healthIntervalS: 0.2,
      })
      const proc = spawn(process.execPath, [child, JSON.stringify(config), '0'], { stdio: ['ignore', 'ignore', 'inherit'] })
      try {
        const reports = () => collector.records.map((r) => r.data as HealthReport)
        await collector.waitFor(() => reports().some((r) => r.status === 'online' && r.counters.accepted > 0), 20_000, 'an online report')
        const online = reports().find((r) => r.status === 'online')!
        expect(online.deviceId).toBe('turbine-1')
        expect(online.connection).toBe('connected')
        // Only what arrives from now on can be the will: a report stored before the first connect says offline too,
        // but it was sent before the online one (one stream, in seq order).
        const afterKill = collector.envelopes.length
        const exited = new Promise((r) => proc.once('exit', r))
        proc.kill('SIGKILL')
        await exited
        const wills = () => collector.envelopes.slice(afterKill).filter((e) => (e.records[0]!.data as HealthReport).status === 'offline')
        await collector.waitFor(() => wills().length > 0, 10_000, 'the Last Will')
        const will = wills()[0]!
        expect(will.stream).toBe('health')
        expect((will.records[0]!.data as HealthReport).connection).toBe('disconnected')
        expect(collector.errors).toEqual([])
      } finally {
        proc.kill('SIGKILL')
        await collector.close()
        rmSync(child, { force: true })
      }
    })
  }
})
