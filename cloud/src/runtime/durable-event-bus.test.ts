import type { LocationDevicePositionEvent } from '@edgetwin/shared-schemas'
import Database from 'better-sqlite3'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { createDurableEventBus } from './durable-event-bus.js'

const event = (n: number): LocationDevicePositionEvent => ({
  version: '0',
  id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  'detail-type': 'Location Device Position Event',
  source: 'aws.geo',
  account: '000000000000',
  time: '2026-07-01T09:00:00Z',
  region: 'local',
  resources: ['arn:aws:geo:local:000000000000:tracker/t'],
  detail: {
    EventType: 'UPDATE',
    TrackerName: 't',
    DeviceId: 'van-1',
    SampleTime: '2026-07-01T08:00:00Z',
    ReceivedTime: '2026-07-01T09:00:00.000Z',
    Position: [-0.1, 51.5],
  },
})

const settle = async (until: () => boolean) => {
  for (let i = 0; i < 200 && !until(); i++) await new Promise((r) => setTimeout(r, 5))
}

describe('durable event bus', () => {
  it('dead-letters a delivery once the event is older than maximumEventAgeS, whatever the attempts left', async () => {
    const db = new Database(':memory:')
    let now = Date.parse('2026-07-01T09:00:00Z')
    const bus = createDurableEventBus({
      db,
      logger: pino({ level: 'silent' }),
      retry: { maximumRetryAttempts: 185, maximumEventAgeS: 60, baseDelayMs: 1000, maxDelayMs: 1000 },
      nowMs: () => now,
      random: () => 1,
      pollIntervalMs: 5,
    })
    let calls = 0
    bus.subscribe(
      () => {
        calls++
        throw new Error('target down')
      },
      { target: 'enrichment' },
    )
    await bus.start()
    await bus.publish(event(1))
    await settle(() => calls === 1)
    expect(bus.health().stored['enrichment']).toEqual({ pending: 1, deadLetters: 0 })
    // Not due yet: the retry waits for its backoff on the bus's clock.
    await new Promise((r) => setTimeout(r, 30))
    expect(calls).toBe(1)
    now += 1000
    await settle(() => calls === 2)
    expect(bus.health().targets['enrichment']).toEqual({ delivered: 0, retries: 2, deadLettered: 0 })
    now += 60_000
    await settle(() => bus.health().stored['enrichment']?.deadLetters === 1)
    expect(calls).toBe(3)
    expect(bus.health().stored['enrichment']).toEqual({ pending: 0, deadLetters: 1 })
    expect(bus.store.listDeadLetters()[0]).toMatchObject({ target: 'enrichment', attempts: 3, error: 'Error: target down' })
    await bus.close()
    db.close()
  })

  it('keeps undelivered events across a restart and delivers them once the target subscribes again', async () => {
    const db = new Database(':memory:')
    const logger = pino({ level: 'silent' })
    const first = createDurableEventBus({ db, logger })
    // Subscribed but not started: the events are recorded for the target and wait.
    first.subscribe(() => {}, { target: 'archive' })
    await first.publish(event(1))
    await first.publish(event(2))
    await first.close()
    const second = createDurableEventBus({ db, logger, pollIntervalMs: 5 })
    const got: string[] = []
    second.subscribe((e) => void got.push(e.id), { target: 'archive' })
    await second.start()
    await settle(() => got.length === 2)
    expect(got).toEqual([event(1).id, event(2).id])
    expect(second.health().stored).toEqual({})
    await second.close()
    db.close()
  })
})
