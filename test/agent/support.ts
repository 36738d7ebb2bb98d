import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BatchEnvelope, decodeEnvelope, type StreamName, type TurbineSample } from '@edgetwin/shared-schemas'
import mqtt, { type MqttClient } from 'mqtt'
import { afterAll, beforeAll } from 'vitest'
import { type MosquittoHandle, type MosquittoOptions, startMosquitto } from '../support/mosquitto.js'

/** A temp directory removed by the returned cleanup. */
export function tempDir(prefix = 'edgetwin-agent-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** A valid turbine sample whose `generatorPowerKw` carries `n`, so the checker can tell records apart. */
export function sample(n: number): TurbineSample {
  return {
    time: new Date(Date.UTC(2024, 0, 1) + n * 1000).toISOString(),
    windSpeedMps: 11.4,
    rotorSpeedRpm: 12.1,
    generatorSpeedRpm: 1173.7,
    generatorPowerKw: n % 20_000,
    generatorTorqueKnm: 43.1,
    bladePitchDeg: 0,
    alarms: [],
  }
}

export interface ReceivedRecord {
  readonly stream: StreamName
  readonly seq: number
  readonly data: unknown
  /** When the collector received it (epoch ms). */
  readonly receivedAtMs: number
}

/**
 * A persistent-session QoS 1 subscriber that decodes every envelope it receives (validating it with the shared
 * codec) and keeps every record, duplicates included.
 */
export class Collector {
  readonly records: ReceivedRecord[] = []
  readonly envelopes: BatchEnvelope[] = []
  readonly errors: Error[] = []
  private waiters: { pred: () => boolean; resolve: () => void }[] = []

  private constructor(readonly client: MqttClient) {
    client.on('message', (_topic, payload) => {
      try {
        const env = decodeEnvelope(payload)
        this.envelopes.push(env)
        const receivedAtMs = Date.now()
        for (const r of env.records) this.records.push({ stream: env.stream, seq: r.seq, data: r.data, receivedAtMs })
      } catch (err) {
        this.errors.push(err as Error)
      }
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred()) return true
        w.resolve()
        return false
      })
    })
  }

  static async connect(url: string, filter: string, protocolVersion: 4 | 5 = 4, clientId = `collector-${process.pid}-${Math.random()}`) {
    const client = await mqtt.connectAsync(url, {
      clientId,
      clean: false,
      protocolVersion,
      reconnectPeriod: 100,
      ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: 3600 } } : {}),
    })
    const c = new Collector(client)
    await client.subscribeAsync(filter, { qos: 1 })
    return c
  }

  seqs(stream: StreamName): number[] {
    return this.records.filter((r) => r.stream === stream).map((r) => r.seq)
  }

  distinct(stream: StreamName): Set<number> {
    return new Set(this.seqs(stream))
  }

  /** Resolves once `pred` holds, or rejects after `timeoutMs`, naming `what`. */
  waitFor(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (pred()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs)
      this.waiters.push({
        pred,
        resolve: () => {
          clearTimeout(timer)
          resolve()
        },
      })
    })
  }

  /**
   * Resolves once `pred` holds; rejects only when no new record has arrived for `stallMs` (naming `what`), so a
   * busy machine that delivers slowly but steadily never fails it. Polls every 100 ms.
   */
  async waitForProgress(pred: () => boolean, stallMs: number, what: string): Promise<void> {
    let seen = this.records.length
    let lastProgressMs = Date.now()
    while (!pred()) {
      if (this.records.length !== seen) {
        seen = this.records.length
        lastProgressMs = Date.now()
      } else if (Date.now() - lastProgressMs > stallMs) {
        throw new Error(`no progress for ${stallMs} ms waiting for ${what} (${seen} records received)`)
      }
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  async close(): Promise<void> {
    await this.client.endAsync(true)
  }
}

/** A minimal agent config for tests: fast reconnects, no periodic health. */
export function agentConfig(url: string, dataDir: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    deviceId: 'turbine-1',
    kind: 'turbine',
    dataDir,
    logLevel: 'silent',
    healthIntervalS: 0,
    broker: { url, protocolVersion: 4 },
    reconnect: { initialDelayMs: 50, maxDelayMs: 500, stableAfterMs: 1000 },
    ...over,
  }
}

/**
 * One Mosquitto and one temp directory for the calling describe block: started in beforeAll (options may depend on
 * the directory, e.g. an ACL file written there), stopped (resumed first, if a test paused it) and removed in afterAll.
 */
export function mosquittoSuite(options: MosquittoOptions | ((dir: string) => MosquittoOptions) = {}): {
  readonly broker: MosquittoHandle
  readonly dir: string
} {
  const tmp = tempDir()
  let broker: MosquittoHandle | undefined
  beforeAll(async () => {
    broker = await startMosquitto(typeof options === 'function' ? options(tmp.dir) : options)
  })
  afterAll(async () => {
    broker?.resume()
    await broker?.stop()
    tmp.cleanup()
  })
  return {
    get broker() {
      if (!broker) throw new Error('mosquittoSuite: the broker starts in beforeAll')
      return broker
    },
    dir: tmp.dir,
  }
}
