import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type EmbeddedBroker, isCloudError, LocalJobsService, type LocalJobsServiceOptions, startEmbeddedBroker } from '@edgetwin/cloud'
import { CONTROLLER_PARAMETER_DEFAULTS, jobsTopics } from '@edgetwin/shared-schemas'
import pino from 'pino'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { connectRawThing, type RawThing } from './support/raw-thing.js'
import { startTestTurbine, type TestTurbine, waitFor } from './support/turbine.js'

let broker: EmbeddedBroker
const dir = mkdtempSync(join(tmpdir(), 'edgetwin-durable-jobs-'))
const open: Array<{ close?: () => Promise<void>; end?: () => Promise<void> }> = []

beforeAll(async () => {
  broker = await startEmbeddedBroker({ port: 0 })
})
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await (o.close ?? o.end)?.call(o)
})
afterAll(async () => {
  await broker.close()
  rmSync(dir, { recursive: true, force: true })
})

async function startService(dbName: string, extra: Partial<LocalJobsServiceOptions> = {}): Promise<LocalJobsService> {
  const service = new LocalJobsService({
    brokerUrl: broker.url,
    dbPath: join(dir, dbName),
    clientId: `jobs-${dbName}-${Math.random().toString(16).slice(2)}`,
    logger: pino({ level: 'silent' }),
    tickMs: 50,
    ...extra,
  })
  await service.start()
  open.push(service)
  return service
}

async function thing(name: string): Promise<RawThing> {
  const t = await connectRawThing(broker.url, name)
  open.push(t)
  return t
}

const document = {
  operation: 'controller-update',
  version: 1,
  parameters: { pitchProportionalGainS: CONTROLLER_PARAMETER_DEFAULTS.pitchProportionalGainS * 1.05 },
}

describe('local jobs service restart', () => {
  it('keeps an IN_PROGRESS execution (version and statusDetails) and a QUEUED one across a restart', async () => {
    const first = await startService('restart.db')
    await first.createJob({ jobId: 'durable-1', targets: ['thing-a', 'thing-b'], document })
    const a = await thing('thing-a')
    const started = await a.request(jobsTopics('thing-a').startNext, { statusDetails: { step: 'downloading' } })
    expect(started.topic).toBe(jobsTopics('thing-a').startNextAccepted)
    expect(started.body.execution).toMatchObject({ jobId: 'durable-1', status: 'IN_PROGRESS', versionNumber: 2 })
    await first.close()
    open.splice(open.indexOf(first), 1)

    const second = await startService('restart.db')
    const restored = await second.describeJob('durable-1')
    expect(restored?.executions).toEqual([
      { thingName: 'thing-a', status: 'IN_PROGRESS', versionNumber: 2, statusDetails: { step: 'downloading' } },
      { thingName: 'thing-b', status: 'QUEUED', versionNumber: 1 },
    ])
    // The restored version is enforced: a stale one is refused, the current one accepted.
    const stale = await a.request(jobsTopics('thing-a').update('durable-1'), { status: 'SUCCEEDED', expectedVersion: 1 })
    expect(stale.topic).toBe(jobsTopics('thing-a').updateRejected('durable-1'))
    expect(stale.body).toMatchObject({ code: 'VersionMismatch', executionState: { versionNumber: 2 } })
    const done = await a.request(jobsTopics('thing-a').update('durable-1'), {
      status: 'SUCCEEDED',
      expectedVersion: 2,
      includeJobExecutionState: true,
    })
    expect(done.topic).toBe(jobsTopics('thing-a').updateAccepted('durable-1'))
    expect(done.body.executionState).toMatchObject({ status: 'SUCCEEDED', versionNumber: 3 })

    // Thing B connects only now, with the real agent jobs client: it finds its QUEUED execution and runs it.
    const b: TestTurbine = await startTestTurbine(broker.url, 'thing-b')
    open.push(b)
    const stop = b.telemetry.feed(20)
    try {
      const e = await waitFor(
        async () => {
          const x = (await second.describeJob('durable-1'))?.executions?.find((y) => y.thingName === 'thing-b')
          return x && !['QUEUED', 'IN_PROGRESS'].includes(x.status) ? x : undefined
        },
        15_000,
        'thing-b finished',
      )
      expect(e.status).toBe('SUCCEEDED')
      expect(e.versionNumber).toBe(4)
    } finally {
      stop()
    }
    expect((await second.describeJob('durable-1'))?.status).toBe('COMPLETED')
  })

  it('notifies a QUEUED execution restored from the database through start-next', async () => {
    const first = await startService('queued.db')
    await first.createJob({ jobId: 'queued-1', targets: ['thing-q'], document })
    await first.close()
    open.splice(open.indexOf(first), 1)
    await startService('queued.db')
    const q = await thing('thing-q')
    const pending = await q.request(jobsTopics('thing-q').getPending, {})
    expect((pending.body.queuedJobs as Array<{ jobId: string }>).map((j) => j.jobId)).toEqual(['queued-1'])
    const started = await q.request(jobsTopics('thing-q').startNext, {})
    expect(started.body.execution).toMatchObject({ jobId: 'queued-1', status: 'IN_PROGRESS', versionNumber: 2, jobDocument: document })
  })

  it('times out at start an execution whose in-progress deadline passed while the service was down', async () => {
    const t0 = Date.parse('2026-10-05T00:00:00Z')
    let nowMs = t0
    // A 60 s tick: only the tick that start() runs can time anything out within this test.
    const opts = { now: () => nowMs, tickMs: 60_000 }
    const first = await startService('timeout.db', opts)
    await first.createJob({ jobId: 'slow-1', targets: ['thing-t'], document, inProgressTimeoutInMinutes: 1 })
    const t = await thing('thing-t')
    await t.request(jobsTopics('thing-t').startNext, {})
    await first.close()
    open.splice(open.indexOf(first), 1)

    // Down for 30 s: the deadline (start + 60 s) has not passed.
    nowMs = t0 + 30_000
    const second = await startService('timeout.db', opts)
    expect((await second.describeJob('slow-1'))?.executions?.[0]?.status).toBe('IN_PROGRESS')
    await second.close()
    open.splice(open.indexOf(second), 1)

    // Down until 61 s after the start: TIMED_OUT as soon as start() returns, and the thing is told.
    nowMs = t0 + 61_000
    const third = await startService('timeout.db', opts)
    expect((await third.describeJob('slow-1'))?.executions?.[0]).toMatchObject({ status: 'TIMED_OUT', versionNumber: 3 })
    const notice = await waitFor(
      () => t.messages.find((m) => m.topic === jobsTopics('thing-t').notifyNext && m.body.execution === undefined),
      5_000,
      'empty notify-next',
    )
    expect(notice.body.timestamp).toBe(Math.floor(nowMs / 1000))
  })

  it('refuses a second service on a database another live service holds', async () => {
    await startService('lease.db')
    const other = new LocalJobsService({ brokerUrl: broker.url, dbPath: join(dir, 'lease.db'), logger: pino({ level: 'silent' }) })
    const err = await other.start().catch((e: unknown) => e)
    expect(isCloudError(err, 'CLOUD_JOBS_LOCKED')).toBe(true)
  })
})
