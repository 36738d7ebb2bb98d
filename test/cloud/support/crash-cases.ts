import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type InfluxHandle, startInfluxd } from '../../ingest/support/influxdb.js'
import { type MosquittoHandle, startMosquitto } from '../../support/mosquitto.js'
import { type CrashRunOptions, type CrashRunResult, runCrashLoop } from './crash-run.js'

/** What every crash run must show: each store holds exactly the records the agents had acknowledged. */
function expectExactlyOnce(r: CrashRunResult, timeSeries: 'SQLite' | 'InfluxDB'): void {
  // The run was a real one: records of both kinds, and the cloud was killed both ways.
  expect(r.expectedPositions.length).toBeGreaterThan(50)
  expect(r.expectedMetrics.length).toBeGreaterThan(50)
  expect(new Set(r.kills.map((k) => k.signal))).toEqual(new Set(['SIGTERM', 'SIGKILL']))
  // A SIGTERM drains and exits 0; a SIGKILL leaves no exit code.
  for (const k of r.kills) {
    const how = `${k.signal}: exit code ${k.exitCode}, signal ${k.exitSignal}; its last output:\n${k.tail}`
    expect(k.exitCode, how).toBe(k.signal === 'SIGTERM' ? 0 : null)
  }
  // A SIGTERM closes nothing under a write: no 'archive stream is closed', no 'database connection is not open'.
  expect(r.kills.filter((k) => k.signal === 'SIGTERM').flatMap((k) => k.errorLogs)).toEqual([])
  expect(r.finalExitCode).toBe(0)
  // 0 lost, 0 duplicates: each list equals the acknowledged records one for one.
  expect(r.trackerRows, 'tracker rows').toEqual(r.expectedPositions)
  expect(r.archivedEvents, 'archived position events').toEqual(r.expectedPositions)
  expect(r.enrichedObjects, 'enriched objects').toEqual(r.expectedPositions)
  expect(r.archivedTelemetry, 'archived telemetry').toEqual(r.expectedArchive)
  expect(r.storedMetrics, `turbine metrics in ${timeSeries}`).toEqual(r.expectedMetrics)
  // The archive's lines are the EventBridge event as the AWS path writes it: no extra DeviceId, time in whole seconds.
  for (const line of r.archivedEventLines.slice(0, 50)) {
    expect(line).not.toHaveProperty('DeviceId')
    expect(line['time']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/)
  }
}

async function runAndCheck(options: Omit<CrashRunOptions, 'seed'>, timeSeries: 'SQLite' | 'InfluxDB'): Promise<void> {
  const seed = Number(process.env['EDGETWIN_CRASH_SEED'] ?? Date.now() % 100_000)
  const r = await runCrashLoop({ ...options, seed })
  try {
    expectExactlyOnce(r, timeSeries)
  } catch (err) {
    throw new Error(`crash run with seed ${seed} (EDGETWIN_CRASH_SEED=${seed} replays its kill moments): ${(err as Error).message}`, {
      cause: err,
    })
  } finally {
    r.remove()
  }
}

/**
 * `edgetwin cloud run` SIGTERMed and SIGKILLed `kills` times at random moments during a fleet run, against an
 * external Mosquitto with persistent sessions; once with the SQLite time series store, once with a real InfluxDB.
 */
export function crashCases(kills: number): void {
  describe(`edgetwin cloud run killed ${kills} times at random moments during a fleet run (external Mosquitto, persistent sessions)`, () => {
    let broker: MosquittoHandle
    let influx: InfluxHandle
    beforeAll(async () => {
      broker = await startMosquitto()
      influx = await startInfluxd()
    })
    afterAll(async () => {
      await broker?.stop()
      await influx?.stop()
    })

    it('tracker rows, archived events, enriched objects, archived telemetry and SQLite metrics each equal the acknowledged records', async () => {
      await runAndCheck({ broker, kills, vehicles: 2, turbines: 1 }, 'SQLite')
    }, 1_800_000)

    it('turbine metrics into InfluxDB: each acknowledged record once', async () => {
      const database = `crash_${Date.now()}`
      await influx.query(`CREATE DATABASE ${database}`)
      await runAndCheck(
        { broker, kills, vehicles: 1, turbines: 2, influx: { url: influx.url, database, query: (q) => influx.query(q) } },
        'InfluxDB',
      )
    }, 1_800_000)
  })
}
