import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ControllerParameterStore } from '@edgetwin/agent'
import { type EmbeddedBroker, LocalJobsService, startEmbeddedBroker } from '@edgetwin/cloud'
import { CONTROLLER_PARAMETER_DEFAULTS } from '@edgetwin/shared-schemas'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitFor } from './support/turbine.js'

let broker: EmbeddedBroker
let service: LocalJobsService
const dir = mkdtempSync(join(tmpdir(), 'edgetwin-sigkill-'))
const children: ChildProcess[] = []

const dbDir = mkdtempSync(join(tmpdir(), 'edgetwin-jobs-db-'))

beforeAll(async () => {
  broker = await startEmbeddedBroker({ port: 0 })
  service = new LocalJobsService({ brokerUrl: broker.url, dbPath: join(dbDir, 'jobs.db'), logger: pino({ level: 'silent' }), tickMs: 50 })
  await service.start()
})
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  await service.close()
  await broker.close()
  rmSync(dir, { recursive: true, force: true })
  rmSync(dbDir, { recursive: true, force: true })
})

function spawnTurbine(): { child: ChildProcess; lines: string[] } {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@edgetwin/source',
      '--import',
      'tsx',
      join(import.meta.dirname, 'support/turbine-process.ts'),
      broker.url,
      'wt-kill',
      dir,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  children.push(child)
  const lines: string[] = []
  child.stdout!.on('data', (b: Buffer) => lines.push(...b.toString().split('\n').filter(Boolean)))
  return { child, lines }
}

describe('crash between apply and report', () => {
  it('applies the job exactly once after a SIGKILL during the health gate', async () => {
    const first = spawnTurbine()
    await waitFor(() => (first.lines.includes('ready') ? true : undefined), 30_000, 'first process ready')
    const document = {
      operation: 'controller-update',
      version: 1,
      parameters: { pitchIntegralGain: CONTROLLER_PARAMETER_DEFAULTS.pitchIntegralGain * 1.1 },
    }
    await service.createJob({ jobId: 'kill-1', targets: ['wt-kill'], document })
    // Applied (revision 2 in force), health gate open, outcome not reported: kill it here.
    await waitFor(() => (first.lines.includes('changed 2') ? true : undefined), 15_000, 'apply')
    first.child.kill('SIGKILL')
    await new Promise((r) => first.child.once('exit', r))
    const mid = (await service.describeJob('kill-1'))!.executions![0]!
    expect(mid.status).toBe('IN_PROGRESS')

    const second = spawnTurbine()
    const done = await waitFor(
      async () => {
        const e = (await service.describeJob('kill-1'))?.executions?.[0]
        return e && e.status !== 'IN_PROGRESS' ? e : undefined
      },
      30_000,
      'job finished after restart',
    )
    expect(done.status).toBe('SUCCEEDED')
    // The restarted process never applied it again: no further change was announced.
    expect(second.lines.filter((l) => l.startsWith('changed'))).toEqual([])
    second.child.kill('SIGTERM')
    await new Promise((r) => second.child.once('exit', r))

    const store = new ControllerParameterStore({ path: join(dir, 'controller.db'), initial: { ...CONTROLLER_PARAMETER_DEFAULTS } })
    try {
      const applies = store
        .database()
        .prepare("SELECT COUNT(*) AS n FROM controller_revision WHERE cause = 'apply' AND job_id = 'kill-1'")
        .get()
      expect(applies).toEqual({ n: 1 })
      expect(store.auditLog().map((a) => a.verdict)).toEqual(['APPLIED', 'SUCCEEDED'])
      expect(store.current().version).toBe(2)
      expect(store.current().parameters.pitchIntegralGain).toBeCloseTo(CONTROLLER_PARAMETER_DEFAULTS.pitchIntegralGain * 1.1, 12)
    } finally {
      store.close()
    }
  })
})
