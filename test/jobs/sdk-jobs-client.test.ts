import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type EmbeddedBroker, LocalJobsService, startEmbeddedBroker } from '@edgetwin/cloud'
import { iotjobs, mqtt } from 'aws-iot-device-sdk-v2'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitFor } from './support/turbine.js'

const { IotJobsClient } = iotjobs
type Ev<T> = { error?: unknown; response?: T }

let broker: EmbeddedBroker
let service: LocalJobsService
let connection: mqtt.MqttClientConnection

const dbDir = mkdtempSync(join(tmpdir(), 'edgetwin-jobs-db-'))

beforeAll(async () => {
  broker = await startEmbeddedBroker({ port: 0 })
  service = new LocalJobsService({ brokerUrl: broker.url, dbPath: join(dbDir, 'jobs.db'), logger: pino({ level: 'silent' }), tickMs: 50 })
  await service.start()
  // The official SDK's MQTT 3.1.1 connection (aws-crt), plain TCP to the loopback broker.
  const client = new mqtt.MqttClient()
  connection = client.new_connection({
    client_id: 'sdk-thing',
    host_name: '127.0.0.1',
    port: broker.port,
    clean_session: true,
    keep_alive: 30,
    socket_options: new (await import('aws-iot-device-sdk-v2')).io.SocketOptions(),
  })
  await connection.connect()
})

afterAll(async () => {
  await connection?.disconnect()
  await service.close()
  await broker.close()
  rmSync(dbDir, { recursive: true, force: true })
})

describe('AWS IoT Device SDK v2 jobs client against the local jobs service', () => {
  it('receives notify-next, starts the next execution and updates it with expectedVersion', async () => {
    const jobs = new IotJobsClient(connection)
    const thingName = 'sdk-thing'
    const notified: Ev<iotjobs.model.NextJobExecutionChangedEvent>[] = []
    const started: Ev<iotjobs.model.StartNextJobExecutionResponse>[] = []
    const updated: Ev<iotjobs.model.UpdateJobExecutionResponse>[] = []
    const rejected: Ev<iotjobs.model.RejectedError>[] = []
    const q = mqtt.QoS.AtLeastOnce
    await jobs.subscribeToNextJobExecutionChangedEvents({ thingName }, q, (error, response) => notified.push({ error, response }))
    await jobs.subscribeToStartNextPendingJobExecutionAccepted({ thingName }, q, (error, response) => started.push({ error, response }))
    await jobs.subscribeToUpdateJobExecutionAccepted({ thingName, jobId: '+' }, q, (error, response) => updated.push({ error, response }))
    await jobs.subscribeToUpdateJobExecutionRejected({ thingName, jobId: '+' }, q, (error, response) => rejected.push({ error, response }))

    const document = { operation: 'controller-update', version: 1, parameters: { pitchIntegralGain: 0.009 } }
    await service.createJob({ jobId: 'sdk-job-1', targets: [thingName], document })
    const notice = await waitFor(() => notified.find((n) => n.response?.execution?.jobId === 'sdk-job-1'), 10_000, 'notify-next')
    expect(notice.error).toBeUndefined()
    expect(notice.response?.execution?.status).toBe('QUEUED')
    expect(notice.response?.execution?.jobDocument).toEqual(document)

    await jobs.publishStartNextPendingJobExecution({ thingName, clientToken: 'tok-start', statusDetails: { step: 'downloading' } }, q)
    const start = await waitFor(() => started.find((s) => s.response?.clientToken === 'tok-start'), 10_000, 'start-next accepted')
    const execution = start.response!.execution!
    expect(execution).toMatchObject({ jobId: 'sdk-job-1', status: 'IN_PROGRESS', versionNumber: 2, statusDetails: { step: 'downloading' } })
    expect(execution.jobDocument).toEqual(document)

    // A stale expectedVersion is refused with VersionMismatch and the current state.
    await jobs.publishUpdateJobExecution(
      { thingName, jobId: 'sdk-job-1', status: iotjobs.model.JobStatus.SUCCEEDED, expectedVersion: 1, clientToken: 'tok-stale' },
      q,
    )
    const stale = await waitFor(() => rejected.find((r) => r.response?.clientToken === 'tok-stale'), 10_000, 'update rejected')
    expect(stale.response).toMatchObject({ code: 'VersionMismatch', executionState: { status: 'IN_PROGRESS', versionNumber: 2 } })

    await jobs.publishUpdateJobExecution(
      {
        thingName,
        jobId: 'sdk-job-1',
        status: iotjobs.model.JobStatus.SUCCEEDED,
        statusDetails: { result: 'applied' },
        expectedVersion: 2,
        includeJobExecutionState: true,
        clientToken: 'tok-done',
      },
      q,
    )
    const done = await waitFor(() => updated.find((u) => u.response?.clientToken === 'tok-done'), 10_000, 'update accepted')
    expect(done.response?.executionState).toMatchObject({ status: 'SUCCEEDED', versionNumber: 3, statusDetails: { result: 'applied' } })
    // The queue is empty again: notify-next without an execution.
    await waitFor(
      () => (notified.at(-1)?.response && !notified.at(-1)?.response?.execution ? true : undefined),
      10_000,
      'empty notify-next',
    )
    const job = await service.describeJob('sdk-job-1')
    expect(job?.status).toBe('COMPLETED')
    expect(job?.processDetails.numberOfSucceededThings).toBe(1)
  })
})
