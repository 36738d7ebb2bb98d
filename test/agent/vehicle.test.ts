import { createAgent } from '@edgetwin/agent'
import { describe, expect, it } from 'vitest'
import { freePort } from '../support/ports.js'
import { agentConfig, tempDir } from './support.js'

const north = (m: number) => m / 111_195
const fix = (s: number, m: number) => ({
  sampleTime: new Date(Date.UTC(2024, 0, 1, 8, 0, s)).toISOString(),
  lon: -0.1276,
  lat: 51.5072 + north(m),
})

describe('vehicle profile', () => {
  it('drops positions within 30 m of the last kept one and counts them as filtered', async () => {
    const tmp = tempDir()
    const url = `mqtt://127.0.0.1:${await freePort()}`
    const agent = createAgent(
      agentConfig(url, tmp.dir, { deviceId: 'van-1', kind: 'vehicle', vehicle: { distanceFilterM: 30, minIntervalS: 2 } }),
    )
    await agent.start()
    try {
      const results = []
      for (const [s, m] of [
        [0, 0],
        [1, 80],
        [5, 10],
        [10, 25],
        [20, 95],
        [30, 200],
      ] as const) {
        results.push(await agent.accept('position', fix(s, m)))
      }
      expect(results).toEqual([
        { seq: 1 },
        { seq: null, filtered: 'interval' },
        { seq: null, filtered: 'distance' },
        { seq: null, filtered: 'distance' },
        { seq: 2 },
        { seq: 3 },
      ])
      expect(agent.health().counters.filtered).toBe(3)
      expect(agent.health().queueDepth).toBe(3)
    } finally {
      await agent.close()
      tmp.cleanup()
    }
  })
})

describe('vehicle profile across a restart', () => {
  it('filters against the last kept position stored in the outbox, not from scratch', async () => {
    const tmp = tempDir()
    const url = `mqtt://127.0.0.1:${await freePort()}`
    const config = agentConfig(url, tmp.dir, { deviceId: 'van-2', kind: 'vehicle', vehicle: { distanceFilterM: 30, minIntervalS: 0 } })
    const first = createAgent(config)
    await first.start()
    try {
      expect(await first.accept('position', fix(0, 0))).toEqual({ seq: 1 })
      expect(await first.accept('position', fix(1, 40))).toEqual({ seq: 2 })
      expect(await first.accept('position', fix(2, 50))).toEqual({ seq: null, filtered: 'distance' })
    } finally {
      await first.close()
    }
    const second = createAgent(config)
    await second.start()
    try {
      // 20 m from the last kept fix (40 m), though 60 m from the one seen last: Location would ignore it.
      expect(await second.accept('position', fix(3, 60))).toEqual({ seq: null, filtered: 'distance' })
      expect(await second.accept('position', fix(4, 75))).toEqual({ seq: 3 })
    } finally {
      await second.close()
      tmp.cleanup()
    }
  })
})
