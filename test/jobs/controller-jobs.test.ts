import { generateKeyPairSync, sign } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type EmbeddedBroker, LocalJobsService, startEmbeddedBroker } from '@edgetwin/cloud'
import { CONTROLLER_PARAMETER_DEFAULTS, canonicalJobDocumentBytes, jobsTopics } from '@edgetwin/shared-schemas'
import pino from 'pino'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startTestTurbine, type TestTurbine, waitFor } from './support/turbine.js'

const D = CONTROLLER_PARAMETER_DEFAULTS
let broker: EmbeddedBroker
let service: LocalJobsService
const open: TestTurbine[] = []
let jobSeq = 0

const dbDir = mkdtempSync(join(tmpdir(), 'edgetwin-jobs-db-'))

beforeAll(async () => {
  broker = await startEmbeddedBroker({ port: 0 })
  service = new LocalJobsService({ brokerUrl: broker.url, dbPath: join(dbDir, 'jobs.db'), logger: pino({ level: 'silent' }), tickMs: 50 })
  await service.start()
})
afterAll(async () => {
  await service.close()
  await broker.close()
  rmSync(dbDir, { recursive: true, force: true })
})
afterEach(async () => {
  for (const t of open.splice(0)) await t.close()
})

async function turbine(name: string, config: Record<string, unknown> = {}, promiscuous = false) {
  const t = await startTestTurbine(broker.url, name, config, { promiscuous })
  open.push(t)
  return t
}

async function runJob(thing: string, document: Record<string, unknown>) {
  const jobId = `job-${++jobSeq}`
  await service.createJob({ jobId, targets: [thing], document })
  return jobId
}

async function executionOf(jobId: string, thing: string, terminal = true) {
  return waitFor(
    async () => {
      const e = (await service.describeJob(jobId))?.executions?.find((x) => x.thingName === thing)
      return e && (!terminal || !['QUEUED', 'IN_PROGRESS'].includes(e.status)) ? e : undefined
    },
    15_000,
    `execution of ${jobId}`,
  )
}

const update = (version: number, pitchProportionalGainS = D.pitchProportionalGainS * 1.1) => ({
  operation: 'controller-update',
  version,
  parameters: { pitchProportionalGainS },
})

describe('controller updates through the local jobs service', () => {
  it('applies a valid update, passes the health gate and reports SUCCEEDED', async () => {
    const t = await turbine('turbine-ok')
    const stop = t.telemetry.feed(20)
    try {
      const jobId = await runJob('turbine-ok', update(1))
      const e = await executionOf(jobId, 'turbine-ok')
      expect(e.status).toBe('SUCCEEDED')
      // QUEUED(1) -> start-next IN_PROGRESS(2) -> progress(3) -> SUCCEEDED(4): every update used expectedVersion.
      expect(e.versionNumber).toBe(4)
      expect(t.store.current().parameters.pitchProportionalGainS).toBeCloseTo(D.pitchProportionalGainS * 1.1, 12)
      expect(t.store.auditLog().map((a) => a.verdict)).toEqual(['APPLIED', 'SUCCEEDED'])
    } finally {
      stop()
    }
  })

  it('rolls back and reports FAILED when alarms get worse in the health-gate window', async () => {
    const t = await turbine('turbine-bad')
    for (let i = 0; i < 5; i++) t.telemetry.sample()
    const before = t.store.current()
    let alarming = false
    const changes: number[] = []
    t.store.onChange((s) => {
      changes.push(s.version)
      alarming = true
    })
    const stop = t.telemetry.feed(20, () => (alarming ? ['overspeed'] : []))
    try {
      const jobId = await runJob('turbine-bad', update(1))
      const e = await executionOf(jobId, 'turbine-bad')
      expect(e.status).toBe('FAILED')
      expect(e.statusDetails?.reasonCode).toBe('ALARMS_WORSE')
      expect(t.store.current().parameters).toEqual(before.parameters)
      expect(t.store.current().version).toBe(before.version + 2)
      expect(changes).toEqual([before.version + 1, before.version + 2])
      expect(t.store.auditLog().map((a) => a.verdict)).toEqual(['APPLIED', 'ROLLED_BACK'])
    } finally {
      stop()
    }
  })

  it('rolls back at once on a controller fault', async () => {
    const t = await turbine('turbine-fault', { healthGate: { windowS: 600, minSamples: 2 } })
    const before = t.store.current().parameters
    const stop = t.telemetry.feed(20, () => (t.store.current().version > 1 ? ['controller-fault'] : []))
    try {
      const e = await executionOf(await runJob('turbine-fault', update(1)), 'turbine-fault')
      expect(e.status).toBe('FAILED')
      expect(e.statusDetails?.reasonCode).toBe('CONTROLLER_FAULT')
      expect(t.store.current().parameters).toEqual(before)
    } finally {
      stop()
    }
  })

  it('refuses a bad signature, an unsigned document when signatures are required, and a replayed version', async () => {
    const pinned = generateKeyPairSync('ed25519')
    const other = generateKeyPairSync('ed25519')
    const publicKeyPem = pinned.publicKey.export({ type: 'spki', format: 'pem' }).toString()
    const t = await turbine('turbine-signed', { publicKeyPem, requireSignature: true })
    const stop = t.telemetry.feed(20)
    // Bound to the job it is created as, signed with node:crypto directly (not the cloud's signer).
    const runSigned = async (doc: Record<string, unknown>, key = pinned.privateKey, mutate = (d: Record<string, unknown>) => d) => {
      const jobId = `job-${++jobSeq}`
      const bound = { ...doc, binding: { jobId, things: ['turbine-signed'], expiresAtS: Math.floor(Date.now() / 1000) + 600 } }
      const value = sign(null, canonicalJobDocumentBytes(bound), key).toString('base64')
      await service.createJob({
        jobId,
        targets: ['turbine-signed'],
        document: mutate({ ...bound, signature: { algorithm: 'Ed25519', value } }),
      })
      return jobId
    }
    try {
      const good = await executionOf(await runSigned(update(5)), 'turbine-signed')
      expect(good.status).toBe('SUCCEEDED')
      const applied = JSON.stringify(t.store.current())
      const cases = [
        { job: () => runSigned(update(6, D.pitchProportionalGainS), other.privateKey), code: 'SIGNATURE_INVALID' },
        { job: () => runSigned(update(6, D.pitchProportionalGainS), undefined, (d) => ({ ...d, version: 7 })), code: 'SIGNATURE_INVALID' },
        { job: () => runJob('turbine-signed', update(6, D.pitchProportionalGainS)), code: 'SIGNATURE_MISSING' },
        { job: () => runSigned(update(5, D.pitchProportionalGainS)), code: 'REPLAYED_VERSION' },
        { job: () => runSigned(update(3, D.pitchProportionalGainS)), code: 'REPLAYED_VERSION' },
      ]
      for (const c of cases) {
        const e = await executionOf(await c.job(), 'turbine-signed')
        expect(e.status).toBe('REJECTED')
        expect(e.statusDetails?.reasonCode).toBe(c.code)
      }
      expect(JSON.stringify(t.store.current())).toBe(applied)
    } finally {
      stop()
    }
  })

  it('ignores messages on another thing’s topics and unsolicited executions', async () => {
    const t = await turbine('turbine-self', {}, true)
    const other = jobsTopics('turbine-other')
    const own = jobsTopics('turbine-self')
    const execution = { jobId: 'sneaky', status: 'IN_PROGRESS', versionNumber: 2, jobDocument: update(9) }
    await t.session.client.subscribeAsync(other.all)
    await t.session.client.publishAsync(other.startNextAccepted, JSON.stringify({ execution, timestamp: 1 }), { qos: 1 })
    await t.session.client.publishAsync(other.notifyNext, JSON.stringify({ execution, timestamp: 1 }), { qos: 1 })
    // Our own topic, but no request of ours carries this token: not acted on either.
    await t.session.client.publishAsync(own.startNextAccepted, JSON.stringify({ execution, timestamp: 1, clientToken: 'forged' }), {
      qos: 1,
    })
    await waitFor(() => (t.client.stats.foreignTopic >= 2 && t.client.stats.unsolicited >= 1 ? true : undefined))
    expect(t.store.current().version).toBe(1)
    expect(t.store.auditLog()).toEqual([])
  })

  it('cancels the remaining executions once 50 % of 2 executed things failed', async () => {
    const things = ['wt-a', 'wt-b', 'wt-c', 'wt-d', 'wt-e']
    const a = await turbine('wt-a')
    const b = await turbine('wt-b')
    const stopA = a.telemetry.feed(20, () => (a.store.current().version > 1 ? ['overspeed'] : []))
    const stopB = b.telemetry.feed(20)
    try {
      await service.createJob({
        jobId: 'rollout-abort',
        targets: things,
        document: update(1),
        // Two executions in the first rollout minute; the rest would wait for the next one.
        rollout: { maximumPerMinute: 2 },
        abortConfig: { criteriaList: [{ failureType: 'FAILED', action: 'CANCEL', thresholdPercentage: 50, minNumberOfExecutedThings: 2 }] },
      })
      const job = await waitFor(async () => {
        const d = await service.describeJob('rollout-abort')
        return d?.status === 'CANCELED' ? d : undefined
      }, 15_000)
      expect(job.reasonCode).toBe('AbortThresholdExceeded')
      const status = Object.fromEntries(job.executions!.map((e) => [e.thingName, e.status]))
      expect(status).toEqual({ 'wt-a': 'FAILED', 'wt-b': 'SUCCEEDED', 'wt-c': 'CANCELED', 'wt-d': 'CANCELED', 'wt-e': 'CANCELED' })
    } finally {
      stopA()
      stopB()
    }
  })
})
