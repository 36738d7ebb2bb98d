import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { TwinScheduler } from './scheduler.js'

describe('twin scheduler on a virtual clock', () => {
  it('runs every matching virtual minute in order, none skipped', async () => {
    const ticks: string[] = []
    let now = new Date('2026-10-01T00:00:30Z')
    const scheduler = new TwinScheduler({
      schedule: '*/10 * * * *',
      tick: async (at) => {
        ticks.push(at.toISOString())
      },
      log: pino({ level: 'silent' }),
      virtualClock: { now: () => now },
      pollMs: 1_000_000,
    })
    scheduler.start()
    now = new Date('2026-10-01T00:35:00Z')
    await scheduler.advanceTo(now)
    now = new Date('2026-10-01T00:50:59Z')
    await scheduler.advanceTo(now)
    await scheduler.close()
    expect(ticks).toEqual([
      '2026-10-01T00:10:00.000Z',
      '2026-10-01T00:20:00.000Z',
      '2026-10-01T00:30:00.000Z',
      '2026-10-01T00:40:00.000Z',
      '2026-10-01T00:50:00.000Z',
    ])
  })

  it('refuses an invalid cron expression', () => {
    expect(() => new TwinScheduler({ schedule: 'every ten minutes', tick: async () => {}, log: pino({ level: 'silent' }) })).toThrowError(
      /not a valid cron expression/,
    )
  })

  it('keeps going after a failed tick', async () => {
    let calls = 0
    const scheduler = new TwinScheduler({
      schedule: '* * * * *',
      tick: async () => {
        calls++
        throw new Error('store unavailable')
      },
      log: pino({ level: 'silent' }),
      virtualClock: { now: () => new Date('2026-10-01T00:00:00Z') },
      pollMs: 1_000_000,
    })
    scheduler.start()
    await scheduler.advanceTo(new Date('2026-10-01T00:03:00Z'))
    await scheduler.close()
    expect(calls).toBe(3)
  })
})
