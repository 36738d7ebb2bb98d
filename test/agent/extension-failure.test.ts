import { type ChildProcess, spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createAgent } from '@edgetwin/agent'
import { describe, expect, it } from 'vitest'
import { agentConfig, mosquittoSuite } from './support.js'

const ROOT = join(import.meta.dirname, '..', '..')

/** A gateway section whose database password comes from `password` (a secret reference). */
function gatewayConfig(url: string, dataDir: string, password: Record<string, string>): Record<string, unknown> {
  return agentConfig(url, dataDir, {
    deviceId: 'gw-1',
    kind: 'gateway',
    logLevel: 'silent',
    gateway: {
      database: { host: '127.0.0.1', port: 1, database: 'plant', user: 'gateway', password },
      postgres: [
        {
          name: 'presses',
          table: 'readings',
          watermark: { column: 'id', type: 'integer' },
          deviceColumn: 'device_id',
          timeColumn: 'ts',
          metricColumns: ['vibration_mms'],
        },
      ],
      residency: { allow: [{ stream: 'events', fields: ['time', 'type', 'severity'] }] },
    },
  })
}

describe('an extension that fails to start', () => {
  const suite = mosquittoSuite()

  it('fails start() and releases the MQTT connection and the outbox lock', async () => {
    const dataDir = join(suite.dir, 'in-process')
    const agent = createAgent(gatewayConfig(suite.broker.url, dataDir, { env: 'PLANT_DB_PASSWORD' }), { env: {} })
    await expect(agent.start()).rejects.toMatchObject({ code: 'AGENT_GATEWAY_SECRET' })
    expect(agent.health().connection).toBe('disconnected')
    expect(agent.mqtt.connected).toBe(false)
    await expect(agent.accept('events', { time: '2024-01-01T00:00:00Z', type: 'x', severity: 'info' })).rejects.toMatchObject({
      code: 'AGENT_CLOSED',
    })
    // The lock is released: a plain agent on the same outbox starts.
    const next = createAgent(agentConfig(suite.broker.url, dataDir))
    await next.start()
    await next.close()
  })

  it('makes `edgetwin agent run` exit non-zero when the secrets file has mode 0644', async () => {
    const secret = join(suite.dir, 'db-password')
    writeFileSync(secret, 'hunter2', { mode: 0o644 })
    const config = join(suite.dir, 'gateway.json')
    writeFileSync(config, JSON.stringify(gatewayConfig(suite.broker.url, join(suite.dir, 'cli'), { file: secret })))
    const proc: ChildProcess = spawn(
      process.execPath,
      ['--conditions=@edgetwin/source', '--import', 'tsx', 'cli/src/main.ts', 'agent', 'run', '--config', config],
      {
        cwd: ROOT,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    )
    let stderr = ''
    proc.stderr!.on('data', (d) => {
      stderr += d
    })
    // Waits for the process to end by itself: before the fix it stayed up, holding MQTT and the lock.
    const code = await new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)))
    expect(code, stderr).toBe(1)
    expect(stderr).toMatch(/AGENT_GATEWAY_SECRET_PERMISSIONS/)
  })
})
