import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  collect,
  createLocalArchiveStream,
  createLocalEventBus,
  createLocalObjectStore,
  createSqliteMaintenanceStore,
  daysInZoneReport,
  defaultZone,
  parseDayRange,
  readArchivePositions,
  readEnrichedPositions,
  replacementReport,
  startFleetConsumers,
  toPositionEvent,
} from '@edgetwin/cloud'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'

const TRAFALGAR: [number, number] = [-0.1276, 51.5072]
const HEATHROW: [number, number] = [-0.4543, 51.47]
const logger = pino({ level: 'silent' })

describe('enrichment and archive of position events', () => {
  let dir = ''
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('writes one enriched object per event at <prefix>/<DeviceId>/<SampleTime>-<uuid>.json and the same events to the archive', async () => {
    dir = mkdtempSync(join(tmpdir(), 'edgetwin-enrich-'))
    const bus = createLocalEventBus()
    const maintenance = createSqliteMaintenanceStore(join(dir, 'm.sqlite'))
    await maintenance.put({ DeviceId: 'van-old', MeetsEmissionStandards: false, Mileage: 90_000, PurchaseDate: '2017-07-05' })
    await maintenance.put({ DeviceId: 'van-busy', MeetsEmissionStandards: false, Mileage: 60_000, PurchaseDate: '2023-07-05' })
    await maintenance.put({ DeviceId: 'van-clean', MeetsEmissionStandards: true, Mileage: 5_000, PurchaseDate: '2025-01-01' })
    const objects = createLocalObjectStore(join(dir, 'objects'))
    const archive = createLocalArchiveStream({ root: join(dir, 'archive'), prefix: 'position-events', logger, bufferIntervalMs: 0 })
    await archive.start()
    const geofence: string[] = []
    const consumers = startFleetConsumers({
      bus,
      maintenance,
      objects,
      objectPrefix: 'enriched',
      archive,
      zone: defaultZone(),
      minDwellS: 0,
      logger,
      onGeofenceEvent: (e) => geofence.push(`${e.DeviceId}:${e.EventType}`),
    })
    const publish = (deviceId: string, sampleTime: string, position: [number, number]) =>
      bus.publish(
        toPositionEvent(
          { deviceId, sampleTime, receivedTime: sampleTime, position },
          { trackerName: 't', account: '000000000000', region: 'local' },
        ),
      )
    await publish('van-old', '2026-07-01T08:00:00Z', HEATHROW)
    await publish('van-old', '2026-07-01T09:00:00Z', TRAFALGAR)
    await publish('van-old', '2026-07-01T23:30:00Z', TRAFALGAR) // 00:30 on 2 July in London
    await publish('van-busy', '2026-07-03T12:00:00Z', TRAFALGAR)
    await publish('van-clean', '2026-07-03T12:00:00Z', TRAFALGAR)
    await publish('unknown', '2026-07-03T12:00:00Z', HEATHROW)
    await archive.flush()

    expect(consumers.counters).toEqual({ enriched: 6, archived: 6, geofenceEvents: 1, failed: 0 })
    expect(geofence).toEqual(['van-old:ENTER'])
    const keys = await collect(objects.list('enriched/'))
    expect(keys).toHaveLength(6)
    expect(keys[1]).toMatch(/^enriched\/van-busy\/2026-07-03T12:00:00Z-[0-9a-f-]{36}\.json$/)
    const first = JSON.parse((await objects.get(keys.find((k) => k.startsWith('enriched/unknown/'))!))!.toString())
    expect(first).toEqual({
      EventType: 'UPDATE',
      TrackerName: 't',
      DeviceId: 'unknown',
      SampleTime: '2026-07-03T12:00:00Z',
      ReceivedTime: '2026-07-03T12:00:00Z',
      Position: HEATHROW,
      MeetsEmissionStandards: null,
      Mileage: null,
      PurchaseDate: null,
    })

    const range = parseDayRange('2026-07-01', '2026-07-31')
    const fromArchive = daysInZoneReport(await collect(readArchivePositions(join(dir, 'archive'), 'position-events')), defaultZone(), {
      range,
      dailyFee: 12.5,
    })
    const fromObjects = daysInZoneReport(await collect(readEnrichedPositions(objects, 'enriched')), defaultZone(), {
      range,
      dailyFee: 12.5,
    })
    expect(fromArchive).toEqual(fromObjects)
    expect(fromArchive.find((r) => r.deviceId === 'van-old')).toEqual({
      deviceId: 'van-old',
      daysInZone: 2,
      charges: 25,
      days: ['2026-07-01', '2026-07-02'],
    })

    // The replacement report on enriched data: only the two vans missing the standard, busiest per year first.
    // Age runs to the end of the range (2026-08-01): 3 years 27 days = 3.074 years → 60,000 / 3.074 = 19,519 a year.
    const replacement = replacementReport(await collect(readEnrichedPositions(objects, 'enriched')), defaultZone(), { range })
    expect(replacement).toEqual([
      { deviceId: 'van-busy', purchaseDate: '2023-07-05', mileage: 60_000, ageYears: 3.07, daysInZone: 1, mileagePerYear: 19_519 },
      { deviceId: 'van-old', purchaseDate: '2017-07-05', mileage: 90_000, ageYears: 9.07, daysInZone: 2, mileagePerYear: 9_918 },
    ])
    await consumers.close()
    await archive.close()
    await maintenance.close()
  })

  it('rejects an invalid event at the boundary without stopping the other consumers', async () => {
    dir = mkdtempSync(join(tmpdir(), 'edgetwin-enrich-'))
    const bus = createLocalEventBus()
    const maintenance = createSqliteMaintenanceStore(':memory:')
    const objects = createLocalObjectStore(join(dir, 'objects'))
    const archive = createLocalArchiveStream({ root: join(dir, 'archive'), prefix: 'position-events', logger, bufferIntervalMs: 0 })
    const consumers = startFleetConsumers({
      bus,
      maintenance,
      objects,
      objectPrefix: 'enriched',
      archive,
      zone: defaultZone(),
      minDwellS: 0,
      logger,
    })
    const bad = toPositionEvent(
      { deviceId: 'v', sampleTime: 'yesterday', receivedTime: '2026-07-01T00:00:00Z', position: [0, 0] },
      {
        trackerName: 't',
        account: '000000000000',
        region: 'local',
      },
    )
    await expect(bus.publish(bad)).rejects.toThrow(AggregateError)
    expect(consumers.counters).toMatchObject({ enriched: 0, archived: 0, failed: 2 })
    expect(await collect(objects.list('enriched/'))).toEqual([])
    await consumers.close()
    await archive.close()
    await maintenance.close()
  })
})
