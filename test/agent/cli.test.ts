import { type ChildProcess, spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type EmbeddedBroker, startEmbeddedBroker } from '@edgetwin/cloud'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { agentConfig, Collector, sample, tempDir } from './support.js'

const ROOT = join(import.meta.dirname, '..', '..')

function runCli(args: string[]): { proc: ChildProcess; exit: Promise<{ code: number | null; stderr: string }> } {
  const proc = spawn(process.execPath, ['--conditions=@edgetwin/source', '--import', 'tsx', 'cli/src/main.ts', ...args], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stderr = ''
  proc.stderr!.on('data', (d) => {
    stderr += d
  })
  proc.stdout!.resume()
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) => proc.once('exit', (code) => resolve({ code, stderr })))
  return { proc, exit }
}

describe('edgetwin agent run', () => {
  let broker: EmbeddedBroker
  const tmp = tempDir()
  beforeAll(async () => {
    broker = await startEmbeddedBroker({ port: 0 })
  })
  afterAll(async () => {
    await broker?.close()
    tmp.cleanup()
  })

  it('feeds an NDJSON file, skips bad lines, delivers the rest and exits once drained', async () => {
    const input = join(tmp.dir, 'in.ndjson')
    const good = Array.from({ length: 50 }, (_, i) => JSON.stringify({ stream: 'metrics', record: sample(i) }))
    writeFileSync(
      input,
      [...good.slice(0, 25), '{not json', JSON.stringify({ stream: 'metrics', record: { bad: 1 } }), ...good.slice(25), ''].join('\n'),
    )
    const config = join(tmp.dir, 'file.json')
    writeFileSync(config, JSON.stringify(agentConfig(broker.url, join(tmp.dir, 'file'), { source: { ndjson: input }, logLevel: 'info' })))
    const collector = await Collector.connect(broker.url, 'dt/edgetwin/turbine/+/metrics')
    try {
      const { exit } = runCli(['agent', 'run', '--config', config, '--exit-when-drained'])
      const { code, stderr } = await exit
      expect(code, stderr).toBe(0)
      expect(stderr).toMatch(/"refused":2/)
      await collector.waitFor(() => collector.distinct('metrics').size >= 50, 10_000, '50 records')
      expect([...collector.distinct('metrics')]).toEqual(Array.from({ length: 50 }, (_, i) => i + 1))
    } finally {
      await collector.close()
    }
  })

  it('shuts down gracefully on SIGTERM, and a second agent on the same outbox exits at once with a clear error', async () => {
    const config = join(tmp.dir, 'stdin.json')
    writeFileSync(config, JSON.stringify(agentConfig(broker.url, join(tmp.dir, 'stdin'), { source: { ndjson: '-' }, logLevel: 'info' })))
    const first = runCli(['agent', 'run', '--config', config])
    const collector = await Collector.connect(broker.url, 'dt/edgetwin/turbine/+/metrics')
    try {
      first.proc.stdin!.write(`${JSON.stringify({ stream: 'metrics', record: sample(7) })}\n`)
      await collector.waitFor(() => collector.records.length >= 1, 30_000, 'the record from stdin')

      const second = await runCli(['agent', 'run', '--config', config]).exit
      expect(second.code).toBe(1)
      expect(second.stderr).toMatch(/AGENT_DB_LOCKED.*in use by another agent/)

      first.proc.kill('SIGTERM')
      const { code, stderr } = await first.exit
      expect(code, stderr).toBe(0)
      expect(stderr).toMatch(/SIGTERM received/)
      expect(stderr).toMatch(/agent closed/)
    } finally {
      first.proc.kill('SIGKILL')
      await collector.close()
    }
  })
})
