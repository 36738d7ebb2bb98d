import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../support/cli.js'
import { type MosquittoHandle, startMosquitto } from '../support/mosquitto.js'
import { agentConfig, Collector, sample, tempDir } from './support.js'

describe('edgetwin agent run over the aws-iot-sdk transport', () => {
  let broker: MosquittoHandle
  const tmp = tempDir()
  beforeAll(async () => {
    broker = await startMosquitto()
  })
  afterAll(async () => {
    await broker?.stop()
    tmp.cleanup()
  })

  // aws-crt holds the event loop after its client closed; without the CLI's exit this run would never end.
  it('delivers an NDJSON file and exits once drained', async () => {
    const input = join(tmp.dir, 'in.ndjson')
    writeFileSync(input, `${Array.from({ length: 20 }, (_, i) => JSON.stringify({ stream: 'metrics', record: sample(i) })).join('\n')}\n`)
    const config = join(tmp.dir, 'agent.json')
    const over = { source: { ndjson: input }, broker: { url: broker.url, protocolVersion: 5, transport: 'aws-iot-sdk' } }
    writeFileSync(config, JSON.stringify(agentConfig(broker.url, join(tmp.dir, 'data'), over)))
    const collector = await Collector.connect(broker.url, 'dt/edgetwin/turbine/+/metrics', 5)
    try {
      const { code, stderr } = await runCli(['agent', 'run', '--config', config, '--exit-when-drained'])
      expect(code, stderr).toBe(0)
      await collector.waitFor(() => collector.distinct('metrics').size >= 20, 30_000, '20 records')
      expect([...collector.distinct('metrics')].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
    } finally {
      await collector.close()
    }
  })
})
