import { Writable } from 'node:stream'
import { createAgent } from '@edgetwin/agent'
import { startEmbeddedBroker } from '@edgetwin/cloud'
import { pino } from 'pino'
import { expect, it } from 'vitest'
import { agentConfig, sample, tempDir } from './support.js'

it('writes log lines with each key once (no repeated "component")', async () => {
  const broker = await startEmbeddedBroker({ port: 0 })
  const tmp = tempDir()
  const lines: string[] = []
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean))
      done()
    },
  })
  const agent = createAgent({ ...agentConfig(broker.url, tmp.dir), jobs: {} } as Parameters<typeof createAgent>[0], {
    logger: pino({ level: 'debug' }, sink),
  })
  try {
    await agent.start()
    await agent.accept('metrics', sample(0))
    for (let i = 0; i < 400 && agent.health().queueDepth > 0; i++) await new Promise((r) => setTimeout(r, 25))
  } finally {
    await agent.close()
    await broker.close()
    tmp.cleanup()
  }
  const components = new Set(lines.map((l) => (JSON.parse(l) as { component?: string }).component))
  // The MQTT session logs through a child logger: before the fix its lines read `"component":"agent",…,"component":"mqtt"`.
  expect([...components]).toEqual(expect.arrayContaining(['agent', 'mqtt']))
  const repeated = lines.filter((l) => (l.match(/"component":/g) ?? []).length > 1)
  expect(repeated).toEqual([])
})
