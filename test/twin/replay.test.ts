import { randomBytes, randomUUID } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type ControllerUpdateJob,
  createInProcessRunner,
  createLogNotifier,
  type DecisionRecord,
  ProvenanceStore,
  type TurbineSeries,
  TwinLoop,
} from '@edgetwin/cloud'
import { type DispatchServer, parseDispatchConfig, startDispatchServer } from '@edgetwin/openfast-container'
import { parseConfig, validators } from '@edgetwin/shared-schemas'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../support/cli.js'
import { modelTelemetry } from './support/turbine-telemetry.js'

/**
 * `edgetwin twin replay <decisionId>`: a decision the twin loop took (rotor model in process) is re-run from the
 * inputs its record stored, through the CLI, on the real dispatch server, and comes out the same; an altered
 * record does not.
 */
const token = randomBytes(32).toString('hex')
const dataDir = mkdtempSync(join(tmpdir(), 'edgetwin-twin-replay-'))
const log = pino({ level: 'silent' })
let server: DispatchServer
let decision: DecisionRecord
const created: ControllerUpdateJob[] = []

beforeAll(async () => {
  server = await startDispatchServer(parseDispatchConfig({ port: 0, dataDir: join(dataDir, 'dispatch'), logLevel: 'warn' }), {
    bearerTokens: [token],
    log,
  })
  const start = new Date('2026-10-01T12:00:00Z')
  const samples = modelTelemetry(0.15, 11, start)
  const series: TurbineSeries = {
    turbines: async () => ['turbine-1'],
    samples: async (_id, from, to) => samples.filter((s) => Date.parse(s.time) >= from.getTime() && Date.parse(s.time) < to.getTime()),
  }
  const config = parseConfig(validators.CloudConfig, {
    twin: {
      enabled: true,
      detector: { overspeedEpisodesPerWindow: 2 },
      // Short runs keep the test quick; at 60 s the default candidates still give an update under these conditions.
      dispatch: { url: server.url, seeds: [1, 2], durationS: 60 },
    },
  }).twin
  mkdirSync(join(dataDir, 'cloud'))
  const provenance = new ProvenanceStore(join(dataDir, 'cloud', 'twin.db'))
  try {
    const loop = new TwinLoop({
      config,
      series,
      // Taken with the model in process; replayed below on the dispatch server, which must give the same figures.
      runner: createInProcessRunner(),
      jobs: {
        createJob: async (job) => {
          created.push(job)
        },
        executionStatus: async () => 'QUEUED',
      },
      notifier: createLogNotifier(log),
      provenance,
      log,
    })
    const [outcome] = await loop.tick(new Date(start.getTime() + 600_000))
    decision = outcome!.decision!
  } finally {
    provenance.close()
  }
}, 180_000)

afterAll(async () => {
  await server?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('edgetwin twin replay', () => {
  it('re-runs a recorded decision on the dispatch server and shows the same result', async () => {
    expect(decision.decision.action).toBe('update')
    expect(created[0]?.document.decisionId).toBe(decision.id)
    const { code, stdout, stderr } = await runCli(
      ['twin', 'replay', decision.id, '--data-dir', join(dataDir, 'cloud'), '--dispatch-url', server.url],
      { EDGETWIN_DISPATCH_TOKEN: token },
    )
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout).toContain(`recorded: UPDATE ${decision.decision.candidate}`)
    expect(stdout).toContain(`replayed: UPDATE ${decision.decision.candidate}`)
    expect(stdout).toContain('inputs: intact')
    expect(stdout).toMatch(/^SAME: the replay takes the same decision/m)
    // Every controller's row: both seeds finished, the recorded and replayed exceedances side by side.
    for (const c of decision.inputs!.controllers) expect(stdout).toMatch(new RegExp(`^${c.name.replace(/\./g, '\\.')}\\s+2/2 `, 'm'))
  }, 180_000)

  it('reports an altered record as different, and exits 1', async () => {
    // The same inputs hash over inputs that were changed afterwards: a stricter power-loss rule that no candidate meets.
    const inputs = decision.inputs!
    const altered: DecisionRecord = {
      ...decision,
      id: randomUUID(),
      inputs: { ...inputs, decisionRule: { maxPowerLossFraction: 0 } },
    }
    const store = new ProvenanceStore(join(dataDir, 'cloud', 'twin.db'))
    store.append(altered)
    store.close()
    const { code, stdout } = await runCli([
      'twin',
      'replay',
      altered.id,
      '--data-dir',
      join(dataDir, 'cloud'),
      '--in-process',
      '--format',
      'json',
    ])
    expect(code).toBe(1)
    const report = JSON.parse(stdout) as { same: boolean; inputsIntact: boolean; differences: string[] }
    expect(report.same).toBe(false)
    expect(report.inputsIntact).toBe(false)
    expect(report.differences[0]).toMatch(/no longer hash to .*the record was altered/)
  }, 120_000)

  it('names the id it cannot find', async () => {
    const { code, stderr } = await runCli(['twin', 'replay', 'no-such-decision', '--data-dir', join(dataDir, 'cloud'), '--in-process'])
    expect(code).not.toBe(0)
    expect(stderr).toMatch(/decisionId 'no-such-decision' is not in .*twin\.db/)
  }, 60_000)

  it('is what `twin decisions` lists: the record id, the action and the seeds each controller finished', async () => {
    const { code, stdout } = await runCli(['twin', 'decisions', '--data-dir', join(dataDir, 'cloud'), '--device', 'turbine-1'])
    expect(code).toBe(0)
    expect(stdout).toContain(`${decision.id}  turbine-1  UPDATE ${decision.decision.candidate}  job ${decision.jobId}`)
    const names = decision.inputs!.controllers.map((c) => `${c.name} 2/2`).join(', ')
    expect(stdout).toContain(`seeds finished: ${names}`)
  }, 60_000)
})
