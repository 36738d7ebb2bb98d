import {
  buildLambdaRouter,
  createDynamoDbDeviceStatusStore,
  createDynamoDbHighWaterMarkStore,
  createFirehoseArchiveStream,
  createKinesisRouterHandler,
  createLocalObjectStore,
  createLocationPositionTracker,
  createObjectDeadLetterStore,
  createRouter,
  createTimestreamWriter,
  type KinesisStreamEvent,
} from '@edgetwin/cloud'
import { encodeEnvelope, telemetryTopic } from '@edgetwin/shared-schemas'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { noSleep } from '../support/aws-wire.js'
import { type DynamoWire, startDynamoWire } from './support/dynamodb-wire.js'
import { type FirehoseWire, startFirehoseWire } from './support/firehose-wire.js'
import { envelope, healthReport, position, silentLogger, tempDir, turbineSample } from './support/fixtures.js'
import { type LocationWire, startLocationWire } from './support/location-wire.js'
import { startTimestreamWire, type TimestreamWire } from './support/timestream-wire.js'

/** What the IoT topic rule puts into Kinesis: `{topic, payload: base64}`, which Lambda hands over base64 again. */
function kinesisEvent(messages: Array<[string, Buffer]>, firstSeq = 1): KinesisStreamEvent {
  return {
    Records: messages.map(([topic, payload], i) => ({
      eventID: `shardId-000000000000:${firstSeq + i}`,
      kinesis: {
        partitionKey: topic,
        sequenceNumber: String(49_000_000 + firstSeq + i),
        data: Buffer.from(JSON.stringify({ topic, payload: payload.toString('base64') })).toString('base64'),
      },
    })),
  }
}

describe('router Lambda on the AWS adapters, at the wire', () => {
  let location: LocationWire
  let timestream: TimestreamWire
  let firehose: FirehoseWire
  let dynamo: DynamoWire
  let tmp: ReturnType<typeof tempDir>
  let failFirehose: boolean

  beforeEach(async () => {
    failFirehose = false
    location = await startLocationWire('fleet')
    timestream = await startTimestreamWire('edgetwin', 'telemetry')
    // Firehose fails every entry while `failFirehose` is set: the adapter gives up, the record is reported.
    firehose = await startFirehoseWire('archive', { failEntry: () => failFirehose })
    dynamo = await startDynamoWire()
    tmp = tempDir()
  })
  afterEach(async () => {
    await Promise.all([location.close(), timestream.close(), firehose.close(), dynamo.close()])
    tmp.remove()
  })

  const build = () => {
    const deadLetters = createObjectDeadLetterStore(createLocalObjectStore(tmp.dir))
    const router = createRouter({
      sinks: {
        tracker: createLocationPositionTracker({ client: location.client, trackerName: 'fleet', logger: silentLogger }),
        timeSeries: createTimestreamWriter({ client: timestream.client, database: 'edgetwin', table: 'telemetry', logger: silentLogger }),
        archive: createFirehoseArchiveStream({
          client: firehose.client,
          deliveryStreamName: 'archive',
          logger: silentLogger,
          backoff: { sleep: noSleep, maxAttempts: 2 },
        }),
        deviceStatus: createDynamoDbDeviceStatusStore({ client: dynamo.client, tableName: 'status' }),
      },
      marks: createDynamoDbHighWaterMarkStore({ client: dynamo.client, tableName: 'hwm' }),
      deadLetters,
      logger: silentLogger,
    })
    return { handler: createKinesisRouterHandler({ router, deadLetters, logger: silentLogger }), deadLetters }
  }

  it('routes a Kinesis batch into every service once, and a redelivered batch changes nothing', async () => {
    const { handler, deadLetters } = build()
    const event = kinesisEvent([
      [
        telemetryTopic('vehicle', 'van-1', 'position'),
        encodeEnvelope(envelope('van-1', 'vehicle', 'position', 1, [position(0), position(1)])),
      ],
      [
        telemetryTopic('turbine', 'wt-1', 'metrics'),
        encodeEnvelope(envelope('wt-1', 'turbine', 'metrics', 1, [turbineSample(0), turbineSample(1), turbineSample(2)])),
      ],
      [
        telemetryTopic('turbine', 'wt-1', 'health'),
        encodeEnvelope(envelope('wt-1', 'turbine', 'health', 1, [healthReport('wt-1', 1)]), 'none'),
      ],
      [telemetryTopic('turbine', 'wt-1', 'metrics'), Buffer.from('not json')],
    ])
    expect(await handler(event)).toEqual({ batchItemFailures: [] })
    expect(await handler(event)).toEqual({ batchItemFailures: [] })
    expect(location.batchSizes).toEqual([2])
    expect(timestream.stored).toHaveLength(3)
    expect(firehose.accepted).toHaveLength(6)
    expect(dynamo.tables.get('status')?.size).toBe(1)
    const letters = await deadLetters.list()
    expect(letters.map((l) => l.reason)).toEqual(['ENVELOPE_MALFORMED', 'ENVELOPE_MALFORMED'])
  })

  it('reports the failing record in batchItemFailures, routes nothing after it, and the retry delivers each record once', async () => {
    const { handler } = build()
    const metrics = (first: number, n: number) =>
      encodeEnvelope(
        envelope(
          'wt-1',
          'turbine',
          'metrics',
          first,
          Array.from({ length: n }, (_, i) => turbineSample(first + i)),
        ),
      )
    const topic = telemetryTopic('turbine', 'wt-1', 'metrics')
    const event = kinesisEvent([
      [topic, metrics(1, 2)],
      [topic, metrics(3, 2)],
      [topic, metrics(5, 2)],
    ])
    failFirehose = true
    const first = await handler(event)
    // The first record already fails at the archive: it is reported and the rest of the batch is left for the retry.
    expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: event.Records[0]!.kinesis.sequenceNumber }] })
    expect(timestream.stored.map((s) => s.Version)).toEqual([1, 2])
    failFirehose = false
    // Lambda retries from the reported record: the time series store already has seq 1-2 and does not get them again.
    expect(await handler(event)).toEqual({ batchItemFailures: [] })
    expect(timestream.stored.map((s) => s.Version)).toEqual([1, 2, 3, 4, 5, 6])
    expect(timestream.callSizes).toEqual([2, 2, 2])
    expect(firehose.accepted.map((b) => JSON.parse(b.toString()).Seq)).toEqual([1, 2, 3, 4, 5, 6])
  })

  it('refuses to start on an incomplete environment, naming the missing variables', () => {
    expect(() => buildLambdaRouter({ TRACKER_NAME: 'fleet' })).toThrow(/DELIVERY_STREAM_NAME/)
  })
})
