import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type EmbeddedBroker, startEmbeddedBroker } from '@edgetwin/cloud'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runTurbineDemo, type TurbineDemoResult } from '../../cli/src/demo/turbines.js'

/**
 * The digital-twin loop end to end, in virtual time: 3 turbines feed real agents → embedded broker → router →
 * SQLite time series; one turbine's turbulence steps up; the twin's detector sees its over-speed alarms, runs
 * simulations on the real dispatch server over HTTP (rotor-model engine), decides, and sends a job through the
 * local IoT Jobs service; the agent applies it inside its safety envelope and its health gate passes.
 */
describe('digital twin loop end to end', () => {
  let broker: EmbeddedBroker
  let result: TurbineDemoResult
  const lines: string[] = []

  const dataDir = mkdtempSync(join(tmpdir(), 'edgetwin-twin-e2e-'))

  beforeAll(async () => {
    broker = await startEmbeddedBroker({ port: 0 })
    result = await runTurbineDemo({
      brokerUrl: broker.url,
      log: (l) => lines.push(l),
      durationMinutes: 90,
      // One investigation: the test is about that decision and its effect, not about the follow-ups.
      twin: { detector: { cooldownMinutes: 120 } },
      // Kept until the end of the file so the archived results can be checked; removed in afterAll.
      dataDir,
    })
  }, 110_000)

  afterAll(async () => {
    await broker?.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('detects the anomaly on the turbine whose turbulence stepped up, and only there', () => {
    const updates = result.decisions.filter((d) => d.decision.action === 'update' && d.conditions['windowStart'] !== undefined)
    expect(updates.length).toBeGreaterThanOrEqual(1)
    expect(new Set(result.decisions.map((d) => d.deviceId))).toEqual(new Set([result.anomalousTurbine]))
    const first = updates[0]!
    expect(first.conditions['overspeedEpisodes']).toBeGreaterThanOrEqual(1)
    // The measured turbulence intensity reflects the step (0.06 → 0.15), estimated from 1 Hz telemetry.
    expect(first.conditions['turbulenceIntensity']).toBeGreaterThan(0.1)
  })

  it('links conditions, simulations and the job in the provenance record', () => {
    const first = result.decisions.find((d) => d.decision.action === 'update')!
    expect(first.inputsHash).toMatch(/^[0-9a-f]{64}$/)
    expect(first.engine).toBe('rotor-model')
    expect(first.engineVersion).toMatch(/rotor-model/)
    expect(first.seeds.length).toBeGreaterThanOrEqual(2)
    // Simulation ids by controller and seed: every controller ran every seed.
    const byController = (first.results as { simulationIds: Record<string, Record<string, string>> }).simulationIds
    for (const bySeed of Object.values(byController)) expect(Object.keys(bySeed).map(Number).sort()).toEqual([...first.seeds].sort())
    const ids = Object.values(byController).flatMap((bySeed) => Object.values(bySeed))
    expect(ids.length).toBeGreaterThanOrEqual(first.seeds.length * 2)
    for (const id of ids) expect(result.simulationStates[id]).toBe('SUCCEEDED')
    // Every simulation's results were archived by the dispatch server (POST /upload_to_s3; a local folder here).
    const locations = (first.results as { resultLocations: string[] }).resultLocations
    for (const id of ids) expect(locations.some((l) => l.includes(id) && l.endsWith('.out'))).toBe(true)
    for (const l of locations) expect(existsSync(l)).toBe(true)
    expect(first.jobId).toBeTruthy()
    expect(result.jobExecutions[`${first.jobId}/${result.anomalousTurbine}`]).toBe('SUCCEEDED')
  })

  it('applies the chosen parameters on the turbine through its safety envelope', () => {
    const first = result.decisions.find((d) => d.decision.action === 'update')!
    expect(result.appliedAt).not.toBeNull()
    for (const [name, value] of Object.entries(first.decision.patch ?? {})) {
      expect(result.parametersAfter[name]).toBeCloseTo(value, 9)
    }
  })

  it('has fewer over-speed alarms per 10 minutes after the update than before it', () => {
    expect(result.episodesPer10MinBefore).toBeGreaterThan(0)
    expect(result.episodesPer10MinAfter).toBeLessThan(result.episodesPer10MinBefore!)
  })
})
