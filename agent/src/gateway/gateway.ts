import { join } from 'node:path'
import type { DeviceEvent, GatewayAggregate, GatewayProfileConfig, StreamName } from '@edgetwin/shared-schemas'
import type { Logger } from 'pino'
import { CheckpointStore } from './checkpoint-store.js'
import { GatewayError, isGatewayError } from './errors.js'
import { gatewayLogger } from './log.js'
import { type BatchInput, SourcePipeline } from './pipeline.js'
import { PostgresSource } from './postgres-source.js'
import { pseudonymiser } from './pseudonym.js'
import { ResultsWriter } from './results-writer.js'
import { loadSecret, type SecretSources } from './secrets.js'
import { createSiteDatabase, type SiteDatabase } from './site-database.js'
import { SiteMqttSource } from './site-mqtt-source.js'
import { type SourceStatus, SourceTracker } from './source-tracker.js'

/** How often a PostgreSQL source records how far it has read (a restart re-reads at most this much more). */
const FLUSH_INTERVAL_MS = 60_000

/** Hands a record to the agent; for a gateway agent this is the residency-gated accept. */
export type GatewayEmit = (stream: StreamName, record: GatewayAggregate | DeviceEvent) => Promise<unknown>

export interface GatewayDeps {
  /** Checkpoints go to `<dataDir>/gateway`. */
  readonly dataDir: string
  readonly logger: Logger
  readonly emit: GatewayEmit
  readonly secrets?: SecretSources
  readonly now?: () => number
  /** Tests inject a database; by default one is opened from `config.database`. */
  readonly database?: SiteDatabase
}

export interface GatewayStatus {
  readonly sources: SourceStatus[]
  /** Checkpoint bytes written and files fsynced since start (what the gateway costs the site's flash). */
  readonly checkpoint: { readonly bytes: number; readonly writes: number }
}

export interface Gateway {
  start(): Promise<void>
  close(): Promise<void>
  status(): GatewayStatus
  /** Processes readings from a source outside the built-in ones (the site MQTT source uses this). */
  processReadings(source: string, input: BatchInput): Promise<void>
}

/**
 * The gateway profile: polls the site's sources, aggregates on site, writes results back to the site database,
 * and emits only aggregates and alarm events (the raw rows and messages never leave this module).
 */
export function createGateway(config: GatewayProfileConfig, deps: GatewayDeps): Gateway {
  const log = gatewayLogger(deps.logger)
  const now = deps.now ?? Date.now
  const store = new CheckpointStore(join(deps.dataDir, 'gateway'))
  const controller = new AbortController()
  const loops: Promise<void>[] = []
  const mqttSources: SiteMqttSource[] = []
  const timers: NodeJS.Timeout[] = []
  const trackers = new Map<string, SourceTracker>()
  const pipelines = new Map<string, SourcePipeline>()
  let db: SiteDatabase | undefined = deps.database
  let writer: ResultsWriter | null = null
  let upstreamId: ((deviceId: string) => string) | undefined
  let started = false

  if (config.postgres.length > 0 && !config.database && !deps.database) {
    throw new GatewayError('AGENT_GATEWAY_CONFIG', 'gateway.postgres sources need gateway.database (the site database to read from)')
  }

  const emitSourceEvent = async (type: string, severity: DeviceEvent['severity'], data: Record<string, string>) => {
    // Only the code leaves the site: PostgreSQL messages can quote row values.
    await deps.emit('events', { time: new Date(now()).toISOString(), type, severity, data })
  }

  const pipelineFor = (name: string, replay?: PostgresSource): SourcePipeline => {
    let p = pipelines.get(name)
    if (!p) {
      p = new SourcePipeline({
        source: name,
        processing: config.processing,
        store,
        results: writer,
        emit: deps.emit,
        ...(replay ? { replay } : {}),
        ...(upstreamId ? { upstreamId } : {}),
      })
      pipelines.set(name, p)
    }
    return p
  }

  const trackerFor = (name: string, kind: 'postgres' | 'mqtt'): SourceTracker => {
    let t = trackers.get(name)
    if (!t) {
      t = new SourceTracker(name, kind, log, now, emitSourceEvent)
      trackers.set(name, t)
    }
    return t
  }

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (controller.signal.aborted) return resolve()
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        controller.signal.removeEventListener('abort', done)
        resolve()
      }
      controller.signal.addEventListener('abort', done, { once: true })
    })

  const runPostgres = async (source: PostgresSource) => {
    const name = source.config.name
    const pipeline = pipelineFor(name, source)
    const tracker = trackerFor(name, 'postgres')
    let retryMs = config.retryDelayMs
    let flushedAtMs = Date.now()
    while (!controller.signal.aborted) {
      let delayMs = source.config.pollIntervalMs
      try {
        const polled = await source.poll(pipeline.watermark, pipeline.replayUntil)
        const outcome = await pipeline.process({
          readings: polled.readings,
          replayed: polled.replayed,
          replayDone: polled.replayDone,
          watermark: polled.watermark,
          ...(polled.caughtUp ? { closeUpToMs: now() } : {}),
        })
        await tracker.succeeded({
          rows: polled.rows,
          replayedRows: polled.replayedRows,
          invalidRows: polled.invalidRows,
          watermark: pipeline.watermark,
          ...outcome,
        })
        retryMs = config.retryDelayMs
        if (!polled.caughtUp) delayMs = 0
        if (Date.now() - flushedAtMs >= FLUSH_INTERVAL_MS) {
          flushedAtMs = Date.now()
          await pipeline.flush()
        }
      } catch (err) {
        if (controller.signal.aborted) break
        await tracker.failed(err)
        delayMs = retryMs
        retryMs = Math.min(retryMs * 2, config.maxRetryDelayMs)
        if (isGatewayError(err, 'AGENT_GATEWAY_CONFIG')) delayMs = config.maxRetryDelayMs
      }
      if (delayMs > 0) await sleep(delayMs)
    }
  }

  const gateway: Gateway = {
    async start() {
      if (started) return
      started = true
      if (!db && config.database) {
        const password = config.database.password
          ? loadSecret(config.database.password, 'gateway.database.password', deps.secrets)
          : undefined
        db = createSiteDatabase(config.database, password, log)
      }
      if (db) {
        writer = new ResultsWriter(db, config.results.table, config.results.createTable)
      }
      if (config.pseudonymise) {
        upstreamId = pseudonymiser(loadSecret(config.pseudonymise.key, 'gateway.pseudonymise.key', deps.secrets))
      }
      for (const sourceConfig of config.postgres) {
        const source = new PostgresSource(sourceConfig, db as SiteDatabase)
        log.info(
          { source: sourceConfig.name, table: sourceConfig.table, watermark: pipelineFor(sourceConfig.name, source).watermark },
          'polling source',
        )
        loops.push(runPostgres(source))
      }
      for (const sourceConfig of config.mqtt) {
        const password = sourceConfig.password
          ? loadSecret(sourceConfig.password, `gateway.mqtt.${sourceConfig.name}.password`, deps.secrets)
          : undefined
        const source = new SiteMqttSource(sourceConfig, {
          url: sourceConfig.url,
          ...(password !== undefined ? { password } : {}),
          log,
          now,
          process: (input) => gateway.processReadings(sourceConfig.name, input),
          retryDelayMs: config.retryDelayMs,
          maxRetryDelayMs: config.maxRetryDelayMs,
        })
        source.start()
        mqttSources.push(source)
        // Devices that go quiet must not keep their last window open forever: close by the clock too.
        const everyMs = Math.min(config.processing.windowS * 1000, 5000)
        const tick = () => gateway.processReadings(sourceConfig.name, { readings: [], closeUpToMs: now() }).catch(() => {})
        timers.push(setInterval(tick, everyMs))
      }
    },
    async close() {
      controller.abort()
      for (const t of timers) clearInterval(t)
      await Promise.allSettled([...loops, ...mqttSources.map((s) => s.close())])
      // Where each table source got to, so the next start re-reads only the windows that were open.
      await Promise.allSettled([...pipelines.values()].map((p) => p.flush()))
      if (db && !deps.database) await db.close()
      db = undefined
    },
    status() {
      return { sources: [...trackers.values()].map((t) => t.status()), checkpoint: store.written }
    },
    async processReadings(source, input) {
      const tracker = trackerFor(source, 'mqtt')
      try {
        const outcome = await pipelineFor(source).process(input)
        await tracker.succeeded({ rows: input.readings.length, invalidRows: 0, watermark: null, ...outcome })
      } catch (err) {
        await tracker.failed(err)
        throw err
      }
    },
  }
  return gateway
}
