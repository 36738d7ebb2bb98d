import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { AwsJobsService } from '@edgetwin/cloud'
import pino from 'pino'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'

interface Seen {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}
type Answer = { status: number; headers?: Record<string, string>; body: unknown }

let server: Server
let endpoint: string
const seen: Seen[] = []
let answers: Answer[] = []

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() })
      const a = answers.shift() ?? { status: 500, body: { message: 'no scripted answer' } }
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers })
      res.end(JSON.stringify(a.body))
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((r) => server.close(() => r())))
beforeEach(() => {
  seen.length = 0
  answers = []
})

const service = () =>
  new AwsJobsService({
    region: 'eu-west-1',
    accountId: '123456789012',
    endpoint,
    logger: pino({ level: 'silent' }),
    clientConfig: { credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 3 },
  })

describe('AwsJobsService (IoT CreateJob over the wire)', () => {
  it('sends targets as thing ARNs with rollout, abort and timeout configs', async () => {
    answers.push({ status: 200, body: { jobArn: 'arn:aws:iot:eu-west-1:123456789012:job/ctl-7', jobId: 'ctl-7' } })
    const out = await service().createJob({
      jobId: 'ctl-7',
      targets: ['turbine-1', 'turbine-2'],
      document: { operation: 'controller-update', version: 7, parameters: { pitchIntegralGain: 0.0085 } },
      rollout: {
        maximumPerMinute: 10,
        exponentialRate: { baseRatePerMinute: 2, incrementFactor: 2, rateIncreaseCriteria: { numberOfSucceededThings: 2 } },
      },
      abortConfig: { criteriaList: [{ failureType: 'FAILED', action: 'CANCEL', thresholdPercentage: 50, minNumberOfExecutedThings: 2 }] },
      inProgressTimeoutInMinutes: 30,
    })
    expect(out).toEqual({ jobId: 'ctl-7', jobArn: 'arn:aws:iot:eu-west-1:123456789012:job/ctl-7' })
    expect(seen).toHaveLength(1)
    const req = seen[0]!
    expect(req.method).toBe('PUT')
    expect(req.url).toBe('/jobs/ctl-7')
    expect(req.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/(iot|execute-api)\/aws4_request/)
    const body = JSON.parse(req.body)
    expect(body).toEqual({
      targets: ['arn:aws:iot:eu-west-1:123456789012:thing/turbine-1', 'arn:aws:iot:eu-west-1:123456789012:thing/turbine-2'],
      targetSelection: 'SNAPSHOT',
      document: JSON.stringify({ operation: 'controller-update', version: 7, parameters: { pitchIntegralGain: 0.0085 } }),
      jobExecutionsRolloutConfig: {
        maximumPerMinute: 10,
        exponentialRate: { baseRatePerMinute: 2, incrementFactor: 2, rateIncreaseCriteria: { numberOfSucceededThings: 2 } },
      },
      abortConfig: { criteriaList: [{ failureType: 'FAILED', action: 'CANCEL', thresholdPercentage: 50, minNumberOfExecutedThings: 2 }] },
      timeoutConfig: { inProgressTimeoutInMinutes: 30 },
    })
  })

  it('retries a throttled CreateJob and maps a duplicate job id to CLOUD_JOBS_CONFLICT', async () => {
    answers.push(
      { status: 429, headers: { 'x-amzn-ErrorType': 'ThrottlingException' }, body: { message: 'Rate exceeded' } },
      { status: 200, body: { jobArn: 'arn:aws:iot:eu-west-1:123456789012:job/a', jobId: 'a' } },
    )
    await service().createJob({ jobId: 'a', targets: ['t'], document: { operation: 'x' } })
    expect(seen).toHaveLength(2)
    answers.push({
      status: 409,
      headers: { 'x-amzn-ErrorType': 'ResourceAlreadyExistsException' },
      body: { message: 'Job a already exists' },
    })
    await expect(service().createJob({ jobId: 'a', targets: ['t'], document: { operation: 'x' } })).rejects.toMatchObject({
      code: 'CLOUD_JOBS_CONFLICT',
      message: expect.stringContaining('Job a already exists'),
    })
  })

  it('refuses an invalid job before any request', async () => {
    await expect(service().createJob({ jobId: 'bad id!', targets: [], document: {} })).rejects.toMatchObject({ code: 'CLOUD_JOBS_INVALID' })
    expect(seen).toHaveLength(0)
  })

  it('describes a job from DescribeJob and ListJobExecutionsForJob', async () => {
    answers.push(
      {
        status: 200,
        body: {
          job: {
            jobId: 'ctl-7',
            status: 'CANCELED',
            reasonCode: 'AbortThresholdExceeded',
            targets: ['arn:aws:iot:eu-west-1:123456789012:thing/turbine-1'],
            createdAt: 1_700_000_000,
            jobProcessDetails: { numberOfFailedThings: 1, numberOfSucceededThings: 1, numberOfCanceledThings: 3 },
          },
        },
      },
      {
        status: 200,
        body: {
          executionSummaries: [
            { thingArn: 'arn:aws:iot:eu-west-1:123456789012:thing/turbine-1', jobExecutionSummary: { status: 'FAILED' } },
          ],
        },
      },
    )
    const d = await service().describeJob('ctl-7')
    expect(seen.map((s) => `${s.method} ${s.url.split('?')[0]}`)).toEqual(['GET /jobs/ctl-7', 'GET /jobs/ctl-7/things'])
    expect(d).toMatchObject({
      status: 'CANCELED',
      reasonCode: 'AbortThresholdExceeded',
      targets: ['turbine-1'],
      createdAt: '2023-11-14T22:13:20.000Z',
      processDetails: { numberOfFailedThings: 1, numberOfSucceededThings: 1, numberOfCanceledThings: 3, numberOfQueuedThings: 0 },
      executions: [{ thingName: 'turbine-1', status: 'FAILED' }],
    })
  })
})

describe('AwsJobsService outside the aws partition', () => {
  it('targets things by the ARN partition of its region (aws-cn, aws-us-gov)', async () => {
    for (const [region, partition] of [
      ['cn-north-1', 'aws-cn'],
      ['us-gov-west-1', 'aws-us-gov'],
    ] as const) {
      answers.push({ status: 200, body: { jobArn: `arn:${partition}:iot:${region}:123456789012:job/p-1`, jobId: 'p-1' } })
      const jobs = new AwsJobsService({
        region,
        accountId: '123456789012',
        endpoint,
        logger: pino({ level: 'silent' }),
        clientConfig: { credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1 },
      })
      await jobs.createJob({
        jobId: 'p-1',
        targets: ['turbine-1'],
        document: { operation: 'controller-update', version: 1, parameters: {} },
      })
      expect(JSON.parse(seen.at(-1)!.body).targets).toEqual([`arn:${partition}:iot:${region}:123456789012:thing/turbine-1`])
      await jobs.close()
    }
  })
})
