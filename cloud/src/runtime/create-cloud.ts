import { join } from 'node:path'
import { FirehoseClient } from '@aws-sdk/client-firehose'
import { LocationClient } from '@aws-sdk/client-location'
import { TimestreamWriteClient } from '@aws-sdk/client-timestream-write'
import { type CloudConfig, parseConfig, validators } from '@edgetwin/shared-schemas'
import { type Logger, pino } from 'pino'
import { CloudError } from '../errors.js'
import type { PositionEventBus } from '../event-bus.js'
import type { RouterStats } from '../router/router.js'
import { createFirehoseArchiveStream } from '../sinks/archive/firehose-archive-stream.js'
import { createLocationPositionTracker } from '../sinks/position-tracker/location-position-tracker.js'
import { createInfluxTimeSeriesStore } from '../sinks/time-series/influx-time-series-store.js'
import { createTimestreamWriter } from '../sinks/time-series/timestream-writer.js'
import type { EventBusHealth } from './durable-event-bus.js'
import { createLocalIngest, type LocalIngest, type LocalIngestOptions } from './local-ingest.js'
import { createMqttIngest, type MqttIngest } from './mqtt-ingest.js'

/** What an extension (fleet consumers, twin loop, jobs service) gets from the composition root. */
export interface CloudContext {
  readonly config: Readonly<CloudConfig>
  readonly logger: Logger
  readonly bus: PositionEventBus
  readonly ingest: LocalIngest
  /** Environment for secrets named in the config (e.g. `timeSeries.influx.tokenEnv`). */
  readonly env: Readonly<Record<string, string | undefined>>
}

export interface CloudComponent {
  start?(): Promise<void>
  close(): Promise<void>
}

/** Adds a component to the cloud; started after the router's stores, before the MQTT subscription; closed in reverse. */
export type CloudExtension = (ctx: CloudContext) => CloudComponent | Promise<CloudComponent>

export interface CloudDeps {
  readonly logger?: Logger
  readonly env?: Readonly<Record<string, string | undefined>>
  readonly bus?: PositionEventBus
  readonly extensions?: readonly CloudExtension[]
}

export interface CloudHealth {
  readonly router: Readonly<RouterStats>
  /** Absent when the bus was passed in (not the durable one). */
  readonly events: EventBusHealth | undefined
}

export interface Cloud {
  readonly config: Readonly<CloudConfig>
  readonly bus: PositionEventBus
  readonly ingest: LocalIngest
  readonly mqtt: MqttIngest
  /** Router counters and the event bus's deliveries, retries and dead letters per target. */
  health(): CloudHealth
  start(): Promise<void>
  close(): Promise<void>
}

function configuredAdapters(config: Readonly<CloudConfig>, env: CloudContext['env'], logger: Logger): LocalIngestOptions['overrides'] {
  const region = config.awsRegion
  const needRegion = (what: string) => {
    if (!region) throw new CloudError('CLOUD_CONFIG_INVALID', `${what} needs awsRegion in the cloud config`)
    return { region, maxAttempts: 1 }
  }
  const overrides: {
    -readonly [K in keyof NonNullable<LocalIngestOptions['overrides']>]: NonNullable<LocalIngestOptions['overrides']>[K]
  } = {}
  if (config.tracker.adapter === 'aws') {
    overrides.tracker = createLocationPositionTracker({
      client: new LocationClient(needRegion('tracker.adapter=aws')),
      trackerName: config.tracker.trackerName,
      logger,
    })
  }
  const ts = config.timeSeries
  if (ts.adapter === 'influxdb') {
    if (!ts.influx) throw new CloudError('CLOUD_CONFIG_INVALID', 'timeSeries.adapter=influxdb needs timeSeries.influx')
    const token = ts.influx.tokenEnv ? env[ts.influx.tokenEnv] : undefined
    if (ts.influx.tokenEnv && !token)
      throw new CloudError('CLOUD_CONFIG_INVALID', `environment variable ${ts.influx.tokenEnv} (timeSeries.influx.tokenEnv) is not set`)
    const database = ts.influx.database ?? ts.influx.bucket
    if (!database) throw new CloudError('CLOUD_CONFIG_INVALID', 'timeSeries.influx needs database (v1) or bucket (v2)')
    overrides.timeSeries = createInfluxTimeSeriesStore({
      url: ts.influx.url,
      apiVersion: ts.influx.apiVersion,
      database,
      ...(ts.influx.org ? { org: ts.influx.org } : {}),
      ...(ts.influx.bucket ? { bucket: ts.influx.bucket } : {}),
      ...(token ? { token } : {}),
      logger,
    })
  } else if (ts.adapter === 'timestream') {
    if (!ts.timestream) throw new CloudError('CLOUD_CONFIG_INVALID', 'timeSeries.adapter=timestream needs timeSeries.timestream')
    overrides.timeSeries = createTimestreamWriter({
      client: new TimestreamWriteClient(needRegion('timeSeries.adapter=timestream')),
      database: ts.timestream.database,
      table: ts.timestream.table,
      logger,
    })
  }
  if (config.archive.adapter === 'firehose') {
    if (!config.archive.deliveryStreamName)
      throw new CloudError('CLOUD_CONFIG_INVALID', 'archive.adapter=firehose needs archive.deliveryStreamName')
    overrides.archive = createFirehoseArchiveStream({
      client: new FirehoseClient(needRegion('archive.adapter=firehose')),
      deliveryStreamName: config.archive.deliveryStreamName,
      logger,
    })
  }
  return overrides
}

/**
 * The cloud's composition root: validates the config, wires the router to the configured adapters, runs the
 * extensions and subscribes to the broker. Nothing connects until `start()`.
 */
export function createCloud(input: unknown, deps: CloudDeps = {}): Cloud {
  const config = parseConfig(validators.CloudConfig, input)
  const logger = deps.logger ?? pino({ level: config.logLevel, redact: ['*.token', '*.password', '*.authorization', '*.secretAccessKey'] })
  const env = deps.env ?? {}
  const ingest = createLocalIngest({
    dataDir: config.dataDir,
    ...(deps.bus ? { bus: deps.bus } : {}),
    eventRetry: {
      maximumRetryAttempts: config.events.maximumRetryAttempts,
      maximumEventAgeS: config.events.maximumEventAgeS,
      baseDelayMs: config.events.retryBaseDelayMs,
      maxDelayMs: config.events.retryMaxDelayMs,
    },
    logger,
    limits: { maxPayloadBytes: config.router.maxPayloadBytes, maxInflatedBytes: config.router.maxInflatedBytes },
    trackerName: config.tracker.trackerName,
    distanceFilterM: config.tracker.distanceFilterM,
    archivePrefix: config.archive.prefix,
    archiveBufferSizeBytes: config.archive.bufferSizeMiB * 1024 * 1024,
    archiveBufferIntervalMs: config.archive.bufferIntervalS * 1000,
    overrides: configuredAdapters(config, env, logger),
  })
  const bus = ingest.bus
  const mqtt = createMqttIngest({
    url: config.broker.url,
    clientId: config.broker.clientId,
    protocolVersion: config.broker.protocolVersion,
    router: ingest.router,
    logger: logger.child({ component: 'mqtt' }),
  })
  const started: CloudComponent[] = []
  let closed = false
  return {
    config,
    bus,
    ingest,
    mqtt,
    health: () => ({ router: ingest.router.stats(), events: ingest.events?.health() }),
    async start() {
      await ingest.start()
      started.push(ingest)
      const ctx: CloudContext = { config, logger, bus, ingest, env }
      for (const extension of deps.extensions ?? []) {
        const component = await extension(ctx)
        await component.start?.()
        started.push(component)
      }
      await mqtt.start()
      started.push(mqtt)
      logger.info({ dataDir: config.dataDir, archive: join(config.dataDir, 'objects') }, 'cloud started')
    },
    async close() {
      if (closed) return
      closed = true
      // Reverse order: the MQTT intake first (it finishes the message in flight, then stops), then the event
      // deliveries (the one in flight finishes; the rest wait in ingest.db), then the consumers, the sinks last.
      for (const c of started.reverse()) {
        await c.close()
        if (c === mqtt) await ingest.events?.close()
      }
      if (!started.includes(ingest)) await ingest.close()
    },
  }
}
