import { CONTROLLER_PARAMETER_DEFAULTS } from '@edgetwin/shared-schemas'
import { formatOutFile, parseOutFile, runSimulation, summarizeOutput } from '@edgetwin/turbine-model'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { handler } from '../../cloud/src/lambda/twin-postprocessor.js'
import { S3WireServer } from '../fleet/support/s3-wire-server.js'

/** An S3 event notification (event structure version 2.1, S3 user guide "Event message structure"). */
function objectCreated(bucket: string, encodedKey: string, size: number) {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'eu-west-1',
        eventTime: '2026-10-01T12:20:31.123Z',
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'AWS:AROAEXAMPLE:dispatch-task' },
        requestParameters: { sourceIPAddress: '10.0.1.17' },
        responseElements: {
          'x-amz-request-id': 'C3D13FE58DE4C810',
          'x-amz-id-2': 'FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD',
        },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'edgetwin-results',
          bucket: { name: bucket, ownerIdentity: { principalId: 'A3NL1KOZZKExample' }, arn: `arn:aws:s3:::${bucket}` },
          object: { key: encodedKey, size, eTag: 'd41d8cd98f00b204e9800998ecf8427e', sequencer: '0055AED6DCD90281E5' },
        },
      },
    ],
  }
}

describe('twin post-processor Lambda (handler) on S3 at the wire', () => {
  const s3 = new S3WireServer()
  const bucket = 'edgetwin-results'
  const outText = formatOutFile(
    runSimulation({ windSpeedMps: 14, turbulenceIntensity: 0.15, seed: 4, durationS: 120 }),
    'post-processor test',
  )
  beforeAll(async () => {
    await s3.start()
    vi.stubEnv('AWS_REGION', 'eu-west-1')
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDTEST')
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret')
    vi.stubEnv('AWS_ENDPOINT_URL', s3.endpoint)
    vi.stubEnv('LOG_LEVEL', 'silent')
  })
  afterAll(async () => {
    vi.unstubAllEnvs()
    await s3.close()
  })

  it('reads the .out the dispatch server uploaded and writes <base>.metrics.json beside it', async () => {
    // `POST /upload_to_s3` writes <prefix>/<id>/simulation.out; a prefix with a space arrives as `+` in the event.
    s3.objects.set(`${bucket}/results/run 7/abc123/simulation.out`, { body: Buffer.from(outText), contentType: 'text/plain' })
    const result = await handler(objectCreated(bucket, 'results/run+7/abc123/simulation.out', outText.length))
    expect(result).toEqual({ written: ['results/run 7/abc123/simulation.metrics.json'], skipped: [] })
    const get = s3.requests.find((r) => r.method === 'GET')!
    expect(get.path).toBe(`/${bucket}/results/run 7/abc123/simulation.out`)
    const put = s3.requests.find((r) => r.method === 'PUT')!
    expect(put.path).toBe(`/${bucket}/results/run 7/abc123/simulation.metrics.json`)
    expect(put.headers['content-type']).toBe('application/json')
    const doc = JSON.parse(s3.objects.get(`${bucket}/results/run 7/abc123/simulation.metrics.json`)!.body.toString())
    const threshold = CONTROLLER_PARAMETER_DEFAULTS.overspeedAlarmGeneratorSpeedRpm
    const summary = summarizeOutput(parseOutFile(outText), { overspeedGeneratorRpm: threshold })
    expect(doc.source).toEqual({ bucket, key: 'results/run 7/abc123/simulation.out' })
    expect(doc.thresholds.overspeedGeneratorRpm).toBe(threshold)
    expect(doc.summary.overspeedExceedances).toBe(summary.overspeedExceedances)
    expect(doc.summary.channels.GenPwr.mean).toBeCloseTo(summary.channels['GenPwr']!.mean, 9)
    expect(doc.metrics.meanPowerKw).toBeCloseTo(summary.channels['GenPwr']!.mean, 9)
    expect(doc.metrics.maxRotorSpeedRpm).toBeCloseTo(summary.channels['RotSpeed']!.max, 9)
    expect(doc.metrics).not.toHaveProperty('seed')
  })

  it('skips keys that are not .out results without touching S3', async () => {
    const before = s3.requests.length
    expect(await handler(objectCreated(bucket, 'results/abc123/summary.json', 10))).toEqual({
      written: [],
      skipped: ['results/abc123/summary.json'],
    })
    expect(s3.requests.length).toBe(before)
  })

  it('throws a coded error for a result that is not an OpenFAST .out, and writes nothing for it', async () => {
    s3.objects.set(`${bucket}/results/bad/simulation.out`, { body: Buffer.from('not an out file\n'), contentType: 'text/plain' })
    await expect(handler(objectCreated(bucket, 'results/bad/simulation.out', 16))).rejects.toMatchObject({
      code: 'CLOUD_POSTPROCESS_FAILED',
      message: expect.stringContaining('results/bad/simulation.out'),
    })
    expect(s3.objects.has(`${bucket}/results/bad/simulation.metrics.json`)).toBe(false)
  })
})
