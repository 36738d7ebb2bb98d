import { buildLambdaRouter, createInfluxTimeSeriesStore, type KinesisStreamEvent } from '@edgetwin/cloud'
import { encodeEnvelope, telemetryTopic } from '@edgetwin/shared-schemas'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type DynamoWire, startDynamoWire } from '../ingest/support/dynamodb-wire.js'
import { type FirehoseWire, startFirehoseWire } from '../ingest/support/firehose-wire.js'
import { envelope, silentLogger, turbineSample } from '../ingest/support/fixtures.js'
import { type InfluxHandle, startInfluxd } from '../ingest/support/influxdb.js'
import { testCredentials } from '../support/aws-wire.js'
import { type SecretsManagerWire, startSecretsManagerWire } from './support/secrets-manager-wire.js'

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:InfluxAuthParameters-Ab12Cd'
const USER = 'edgetwin-admin'
const PASSWORD = 'pw-7f3c9a1e5b2d4068'
const basic = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`

/** What the IoT topic rule puts into Kinesis: `{topic, payload: base64}`, which Lambda hands over base64 again. */
function kinesisEvent(messages: Array<[string, Buffer]>): KinesisStreamEvent {
  return {
    Records: messages.map(([topic, payload], i) => ({
      eventID: `shardId-000000000000:${i + 1}`,
      kinesis: {
        partitionKey: topic,
        sequenceNumber: String(49_000_000 + i + 1),
        data: Buffer.from(JSON.stringify({ topic, payload: payload.toString('base64') })).toString('base64'),
      },
    })),
  }
}

async function influxql(influx: InfluxHandle, q: string, authorization?: string): Promise<Response> {
  return fetch(`${influx.url}/query`, {
    method: 'POST',
    headers: authorization ? { authorization } : {},
    body: new URLSearchParams({ q, db: 'turbine_metrics', epoch: 'ms' }),
  })
}

// Real influxd 1.x with authentication on: the Basic credentials must really be checked, not merely sent.
describe('router Lambda on InfluxDB, credentials from the auth secret by ARN', () => {
  let influx: InfluxHandle
  let secrets: SecretsManagerWire
  let firehose: FirehoseWire
  let dynamo: DynamoWire

  beforeAll(async () => {
    influx = await startInfluxd({ authEnabled: true })
    // With no user yet, influxd accepts only the first admin's creation without credentials.
    expect((await influxql(influx, `CREATE USER "${USER}" WITH PASSWORD '${PASSWORD}' WITH ALL PRIVILEGES`)).status).toBe(200)
    expect((await influxql(influx, 'CREATE DATABASE turbine_metrics', basic)).status).toBe(200)
    // Timestream for InfluxDB's InfluxAuthParametersSecretArn secret: JSON with username, password, organization, bucket.
    secrets = await startSecretsManagerWire(
      new Map([[SECRET_ARN, JSON.stringify({ username: USER, password: PASSWORD, organization: 'edgetwin', bucket: 'turbine_metrics' })]]),
    )
    firehose = await startFirehoseWire('edgetwin-archive')
    dynamo = await startDynamoWire()
    // The router's SDK clients take region, credentials and endpoints from the environment, as on Lambda.
    const env: Record<string, string> = {
      AWS_REGION: 'eu-west-2',
      AWS_ACCESS_KEY_ID: testCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: testCredentials.secretAccessKey,
      AWS_ENDPOINT_URL_FIREHOSE: firehose.server.url,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.server.url,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.server.url,
    }
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v)
  }, 60_000)
  afterAll(async () => {
    vi.unstubAllEnvs()
    await Promise.all([influx?.stop(), secrets?.close(), firehose?.close(), dynamo?.close()])
  })

  const routerEnv = (extra: Record<string, string | undefined>) => ({
    ...process.env,
    TRACKER_NAME: 'edgetwin-fleet',
    TIMESERIES_ADAPTER: 'influxdb',
    INFLUX_URL: influx.url,
    INFLUX_BUCKET: 'turbine_metrics',
    INFLUX_ORG: 'edgetwin',
    DELIVERY_STREAM_NAME: 'edgetwin-archive',
    HWM_TABLE_NAME: 'hwm',
    DEVICE_STATUS_TABLE_NAME: 'status',
    DEAD_LETTER_BUCKET: 'edgetwin-dead-letters',
    LOG_LEVEL: 'silent',
    ...extra,
  })

  it('reads the secret once, then writes with those credentials on every batch', async () => {
    const handler = buildLambdaRouter(routerEnv({ INFLUX_TOKEN_SECRET_ARN: SECRET_ARN }))
    const topic = telemetryTopic('turbine', 'wt-7', 'metrics')
    const batch = (first: number) =>
      kinesisEvent([
        [topic, encodeEnvelope(envelope('wt-7', 'turbine', 'metrics', first, [turbineSample(first), turbineSample(first + 1)]))],
      ])
    expect(await handler(batch(1))).toEqual({ batchItemFailures: [] })
    expect(await handler(batch(3))).toEqual({ batchItemFailures: [] })
    expect(secrets.reads).toEqual([SECRET_ARN])
    const res = await influxql(influx, 'SELECT COUNT("seq") FROM "turbine" WHERE "device_id" = \'wt-7\'', basic)
    const body = (await res.json()) as { results: Array<{ series?: Array<{ values: number[][] }> }> }
    expect(body.results[0]?.series?.[0]?.values[0]?.[1]).toBe(4)
  })

  it('reports the batch for retry when the secret cannot be read, and reads it again on the retry', async () => {
    const missing = 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:gone-Zz99Yy'
    const handler = buildLambdaRouter(routerEnv({ INFLUX_TOKEN_SECRET_ARN: missing }))
    const event = kinesisEvent([
      [telemetryTopic('turbine', 'wt-8', 'metrics'), encodeEnvelope(envelope('wt-8', 'turbine', 'metrics', 1, [turbineSample(1)]))],
    ])
    const before = secrets.reads.length
    expect(await handler(event)).toEqual({ batchItemFailures: [{ itemIdentifier: event.Records[0]!.kinesis.sequenceNumber }] })
    expect(await handler(event)).toEqual({ batchItemFailures: [{ itemIdentifier: event.Records[0]!.kinesis.sequenceNumber }] })
    expect(secrets.reads.slice(before)).toEqual([missing, missing])
  })

  it('refuses INFLUX_TOKEN and INFLUX_TOKEN_SECRET_ARN together', () => {
    expect(() => buildLambdaRouter(routerEnv({ INFLUX_TOKEN: 't', INFLUX_TOKEN_SECRET_ARN: SECRET_ARN }))).toThrow(
      expect.objectContaining({ code: 'CLOUD_CONFIG_INVALID', message: expect.stringContaining('received both') }),
    )
  })
})

describe('InfluxDB adapter with basicAuth, against influxd with authentication on', () => {
  let influx: InfluxHandle
  beforeAll(async () => {
    influx = await startInfluxd({ authEnabled: true })
    expect(await (await influxql(influx, `CREATE USER "${USER}" WITH PASSWORD '${PASSWORD}' WITH ALL PRIVILEGES`)).text()).toBe(
      '{"results":[{"statement_id":0}]}\n',
    )
    expect(await (await influxql(influx, 'CREATE DATABASE turbine_metrics', basic)).text()).toBe('{"results":[{"statement_id":0}]}\n')
  }, 60_000)
  afterAll(async () => influx?.stop())

  const point = {
    deviceId: 'wt-1',
    measurement: 'turbine' as const,
    timeMs: 1_790_000_000_000,
    seq: 1,
    dimensions: {},
    measures: { windSpeedMps: 9.5 },
    alarms: [],
  }

  it('writes and reads back with the user, and influxd refuses the same requests without or with a wrong password', async () => {
    const store = (password: string | undefined) =>
      createInfluxTimeSeriesStore({
        url: influx.url,
        apiVersion: 1,
        database: 'turbine_metrics',
        ...(password ? { basicAuth: { username: USER, password } } : {}),
        logger: silentLogger,
        backoff: { maxAttempts: 1 },
      })
    expect(await store(PASSWORD).write([point])).toMatchObject({ written: 1 })
    const range = { deviceId: 'wt-1', measurement: 'turbine' as const, fromMs: 0, toMs: Number.MAX_SAFE_INTEGER }
    expect((await store(PASSWORD).range(range)).map((p) => p.measures)).toEqual([{ windSpeedMps: 9.5 }])
    await expect(store(undefined).write([point])).rejects.toMatchObject({
      code: 'CLOUD_INFLUX_WRITE_FAILED',
      message: expect.stringContaining('401'),
    })
    await expect(store('wrong').range(range)).rejects.toMatchObject({
      code: 'CLOUD_INFLUX_QUERY_FAILED',
      message: expect.stringContaining('401'),
    })
  })

  it('refuses basicAuth on the 2.x API, which takes tokens only', () => {
    expect(() =>
      createInfluxTimeSeriesStore({
        url: influx.url,
        apiVersion: 2,
        database: 'd',
        basicAuth: { username: 'u', password: 'p' },
        logger: silentLogger,
      }),
    ).toThrow(expect.objectContaining({ code: 'CLOUD_CONFIG_INVALID', message: expect.stringContaining('apiVersion 1') }))
  })
})
