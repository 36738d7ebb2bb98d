import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type EmbeddedBroker, LocalJobsService, startEmbeddedBroker } from '@edgetwin/cloud'
import { jobsTopics } from '@edgetwin/shared-schemas'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnCli } from '../support/cli.js'
import { connectRawThing, type RawThing } from './support/raw-thing.js'
import { waitFor } from './support/turbine.js'

let broker: EmbeddedBroker
let service: LocalJobsService
let thing: RawThing
const dataDir = mkdtempSync(join(tmpdir(), 'edgetwin-cli-jobs-'))
const document = { operation: 'controller-update', version: 1, parameters: { pitchIntegralGain: 0.009 } }

beforeAll(async () => {
  broker = await startEmbeddedBroker({ port: 0 })
  service = new LocalJobsService({ brokerUrl: broker.url, dbPath: join(dataDir, 'jobs.db'), logger: pino({ level: 'silent' }), tickMs: 50 })
  await service.start()
  thing = await connectRawThing(broker.url, 'cli-thing')
})
afterAll(async () => {
  await thing?.end()
  await service?.close()
  await broker?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

/** Runs `edgetwin <args>` to its end. */
function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnCli(args)
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (b: Buffer) => {
    stdout += b.toString()
  })
  child.stderr?.on('data', (b: Buffer) => {
    stderr += b.toString()
  })
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })))
}

describe('edgetwin jobs with the local adapter', () => {
  it('lists and describes what a running service holds, and hands it a job created from the CLI', async () => {
    await service.createJob({ jobId: 'svc-job', targets: ['cli-thing', 'other-thing'], document })
    const started = await thing.request(jobsTopics('cli-thing').startNext, { statusDetails: { step: 'applying' } })
    expect(started.body.execution).toMatchObject({ jobId: 'svc-job', versionNumber: 2 })

    const [list, desc] = await Promise.all([
      runCli(['jobs', 'list', '--data-dir', dataDir]),
      runCli(['jobs', 'describe', 'svc-job', '--data-dir', dataDir]),
    ])
    expect(list.code, list.stderr).toBe(0)
    expect(JSON.parse(list.stdout)).toEqual([{ jobId: 'svc-job', status: 'IN_PROGRESS', createdAt: expect.any(String) }])
    expect(desc.code, desc.stderr).toBe(0)
    const d = JSON.parse(desc.stdout)
    expect(d).toMatchObject({ jobId: 'svc-job', status: 'IN_PROGRESS', document })
    expect(d.executions).toEqual([
      { thingName: 'cli-thing', status: 'IN_PROGRESS', versionNumber: 2, statusDetails: { step: 'applying' } },
      { thingName: 'other-thing', status: 'QUEUED', versionNumber: 1 },
    ])
    expect(d.processDetails).toMatchObject({ numberOfInProgressThings: 1, numberOfQueuedThings: 1 })

    // Finish the first job, so the CLI's job becomes the head of the thing's queue once the service takes it up.
    await thing.request(jobsTopics('cli-thing').update('svc-job'), { status: 'SUCCEEDED', expectedVersion: 2 })
    const docFile = join(dataDir, 'doc.json')
    writeFileSync(docFile, JSON.stringify(document))
    const created = await runCli([
      'jobs',
      'create',
      '--data-dir',
      dataDir,
      '--targets',
      'cli-thing',
      '--document',
      docFile,
      '--job-id',
      'cli-job',
    ])
    expect(created.code, created.stderr).toBe(0)
    expect(JSON.parse(created.stdout)).toEqual({ jobId: 'cli-job', submitted: true, servedByPid: process.pid })
    const notice = await waitFor(
      () =>
        thing.messages.find(
          (m) => m.topic === jobsTopics('cli-thing').notifyNext && (m.body.execution as { jobId?: string })?.jobId === 'cli-job',
        ),
      5_000,
      'notify-next for the CLI job',
    )
    expect(notice.body.execution).toMatchObject({ status: 'QUEUED', versionNumber: 1, jobDocument: document })
    expect((await service.describeJob('cli-job'))?.targets).toEqual(['cli-thing'])

    const dup = await runCli([
      'jobs',
      'create',
      '--data-dir',
      dataDir,
      '--targets',
      'cli-thing',
      '--document',
      docFile,
      '--job-id',
      'svc-job',
    ])
    expect(dup.code).not.toBe(0)
    expect(dup.stderr).toContain('CLOUD_JOBS_CONFLICT')
  }, 60_000)

  it('says so when there is no jobs database', async () => {
    const r = await runCli(['jobs', 'list', '--data-dir', join(dataDir, 'nowhere')])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain('no jobs database')
  }, 30_000)
})
