import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ControllerParameterStore, ControllerUpdater, JobsClient, TelemetryWatch } from '@edgetwin/agent'
import { AgentJobsConfig, CONTROLLER_PARAMETER_DEFAULTS, createValidator, parseConfig } from '@edgetwin/shared-schemas'
import pino from 'pino'
import { connectTestSession, type TestSession } from './mqtt-session.js'
import { TestTelemetry } from './telemetry.js'

const jobsConfig = createValidator(AgentJobsConfig)

export interface TestTurbine {
  readonly thingName: string
  readonly store: ControllerParameterStore
  readonly client: JobsClient
  readonly telemetry: TestTelemetry
  readonly session: TestSession
  readonly dir: string
  close(): Promise<void>
}

/** The jobs half of a turbine agent (store, watch, updater, client) over an MQTT.js session. */
export async function startTestTurbine(
  brokerUrl: string,
  thingName: string,
  config: Record<string, unknown> = {},
  opts: { promiscuous?: boolean; dir?: string } = {},
): Promise<TestTurbine> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'edgetwin-jobs-'))
  const cfg = parseConfig(jobsConfig, { healthGate: { windowS: 3, minSamples: 2 }, requestTimeoutMs: 5000, ...config })
  const logger = pino({ level: 'silent' })
  const store = new ControllerParameterStore({ path: join(dir, 'controller.db'), initial: { ...CONTROLLER_PARAMETER_DEFAULTS } })
  const telemetry = new TestTelemetry()
  const watch = new TelemetryWatch(telemetry, { historyS: cfg.healthGate.maxWindowS })
  watch.start()
  const session = await connectTestSession(brokerUrl, `${thingName}-${Math.random().toString(16).slice(2)}`, opts.promiscuous)
  const client = new JobsClient({
    session,
    thingName,
    handler: new ControllerUpdater({ store, watch, config: cfg, logger }),
    logger,
    requestTimeoutMs: cfg.requestTimeoutMs,
  })
  await client.start()
  return {
    thingName,
    store,
    client,
    telemetry,
    session,
    dir,
    async close() {
      const closing = client.close()
      watch.close()
      await closing
      await session.end()
      store.close()
      if (!opts.dir) rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await check()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}
