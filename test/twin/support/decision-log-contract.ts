import type { DecisionLog, DecisionRecord } from '@edgetwin/cloud'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

/** A decision as the loop records it; `at` in minutes after 2026-10-01T12:00Z. */
export function decision(deviceId: string, at: number, n: number, action: 'update' | 'none' = 'none'): DecisionRecord {
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    createdAt: new Date(Date.UTC(2026, 9, 1, 12, at)).toISOString(),
    deviceId,
    conditions: { windowStart: '2026-10-01T11:50:00.000Z', meanWindSpeedMps: 14.2, turbulenceIntensity: 0.151, overspeedEpisodes: 3 },
    inputsHash: 'a'.repeat(64),
    engine: 'rotor-model',
    engineVersion: 'rotor-model 1.0',
    seeds: [1, 2, 3],
    results: { simulationIds: { current: ['s1', 's2'] }, aggregates: [{ name: 'current', meanPowerKw: 4999.5 }], rejectedCandidates: [] },
    decision:
      action === 'update'
        ? { action, reason: 'fewer exceedances', documentVersion: n, candidate: 'pitch-gains-x1.25', patch: { pitchIntegralGain: 0.0123 } }
        : { action, reason: 'no candidate removes the over-speed exceedances', documentVersion: n },
    jobId: action === 'update' ? `twin-${deviceId}-v${n}-canary-abcd1234` : null,
  }
}

/** The behaviour every DecisionLog adapter must have (SQLite locally, one object per decision on S3). */
export function decisionLogContract(name: string, make: () => Promise<{ log: DecisionLog; close: () => Promise<void> | void }>): void {
  describe(`DecisionLog contract: ${name}`, () => {
    let log: DecisionLog
    let close: () => Promise<void> | void
    beforeEach(async () => {
      ;({ log, close } = await make())
    })
    afterEach(async () => {
      await close()
    })

    it('lists nothing before the first decision', async () => {
      expect(await log.list()).toEqual([])
      expect(await log.list({ deviceId: 'turbine-1' })).toEqual([])
    })

    it('gives back every field of a record as appended', async () => {
      const record = decision('turbine-1', 0, 1, 'update')
      await log.append(record)
      expect(await log.list()).toEqual([record])
    })

    it('lists newest first by createdAt, whatever the order of appends', async () => {
      await log.append(decision('turbine-1', 10, 2))
      await log.append(decision('turbine-1', 0, 1))
      await log.append(decision('turbine-1', 30, 3, 'update'))
      expect((await log.list()).map((r) => r.createdAt.slice(11, 16))).toEqual(['12:30', '12:10', '12:00'])
    })

    it("lists one turbine's decisions only, and honours the limit with the newest", async () => {
      for (let i = 0; i < 5; i++) await log.append(decision('turbine-1', i * 10, i + 1))
      await log.append(decision('turbine-10', 45, 9))
      await log.append(decision('turbine-2', 55, 10))
      const one = await log.list({ deviceId: 'turbine-1' })
      expect(one.map((r) => r.deviceId)).toEqual(Array(5).fill('turbine-1'))
      expect((await log.list({ deviceId: 'turbine-1', limit: 2 })).map((r) => r.createdAt.slice(11, 16))).toEqual(['12:40', '12:30'])
      expect((await log.list({ limit: 3 })).map((r) => r.deviceId)).toEqual(['turbine-2', 'turbine-10', 'turbine-1'])
      expect(await log.list({ deviceId: 'turbine-3' })).toEqual([])
    })
  })
}
