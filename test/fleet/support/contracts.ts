import type { MaintenanceStore, ObjectStore } from '@edgetwin/cloud'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

/** The behaviour every MaintenanceStore adapter must have. */
export function maintenanceStoreContract(name: string, make: () => Promise<MaintenanceStore>): void {
  describe(`MaintenanceStore contract: ${name}`, () => {
    let store: MaintenanceStore
    beforeEach(async () => {
      store = await make()
    })
    afterEach(async () => {
      await store.close()
    })

    it('returns null for a vehicle without a record', async () => {
      expect(await store.get('nobody')).toBeNull()
    })

    it('stores, replaces and lists records ordered by DeviceId', async () => {
      await store.put({ DeviceId: 'vehicle2', MeetsEmissionStandards: false, Mileage: 120_500.5, PurchaseDate: '2016-03-01' })
      await store.put({ DeviceId: 'vehicle1', MeetsEmissionStandards: true, Mileage: 10, PurchaseDate: '2024-01-31' })
      await store.put({ DeviceId: 'vehicle3', MeetsEmissionStandards: true, Mileage: 0, PurchaseDate: '2025-12-31' })
      await store.put({ DeviceId: 'vehicle1', MeetsEmissionStandards: false, Mileage: 11, PurchaseDate: '2024-01-31' })
      expect(await store.get('vehicle2')).toEqual({
        DeviceId: 'vehicle2',
        MeetsEmissionStandards: false,
        Mileage: 120_500.5,
        PurchaseDate: '2016-03-01',
      })
      expect((await store.list()).map((r) => [r.DeviceId, r.Mileage])).toEqual([
        ['vehicle1', 11],
        ['vehicle2', 120_500.5],
        ['vehicle3', 0],
      ])
      expect(await store.get('vehicle1')).toMatchObject({ MeetsEmissionStandards: false, Mileage: 11 })
    })

    it('rejects an invalid record with a coded error and stores nothing', async () => {
      await expect(
        store.put({ DeviceId: 'v', MeetsEmissionStandards: true, Mileage: -1, PurchaseDate: '2024-13-01' }),
      ).rejects.toMatchObject({
        code: 'CLOUD_MAINTENANCE_INVALID',
      })
      expect(await store.list()).toEqual([])
    })
  })
}

const collect = async (it: AsyncIterable<string>) => {
  const out: string[] = []
  for await (const k of it) out.push(k)
  return out
}

/** The behaviour every ObjectStore adapter must have. */
export function objectStoreContract(name: string, make: () => Promise<ObjectStore>): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let store: ObjectStore
    beforeEach(async () => {
      store = await make()
    })
    afterEach(async () => {
      await store.close()
    })

    it('puts and gets objects byte for byte, and null for a missing key', async () => {
      await store.put('enriched/v1/2026-07-01T08:00:00Z-a.json', '{"a":1}')
      await store.put('enriched/v1/bin', new Uint8Array([0, 255, 10]), 'application/octet-stream')
      expect((await store.get('enriched/v1/2026-07-01T08:00:00Z-a.json'))?.toString()).toBe('{"a":1}')
      expect([...(await store.get('enriched/v1/bin'))!]).toEqual([0, 255, 10])
      expect(await store.get('enriched/v1/missing')).toBeNull()
    })

    it('lists every key under a prefix in lexicographic order, across pages', async () => {
      for (const k of ['p/b/2', 'p/a/1', 'p/a/3', 'p/b/1', 'q/a/1', 'p/c']) await store.put(k, k)
      expect(await collect(store.list('p/'))).toEqual(['p/a/1', 'p/a/3', 'p/b/1', 'p/b/2', 'p/c'])
      expect(await collect(store.list('p/b'))).toEqual(['p/b/1', 'p/b/2'])
      expect(await collect(store.list('none/'))).toEqual([])
    })

    it('refuses keys that are not safe relative paths', async () => {
      await expect(store.put('../escape', 'x')).rejects.toMatchObject({ code: 'CLOUD_OBJECT_KEY_INVALID' })
      await expect(store.put('/abs', 'x')).rejects.toMatchObject({ code: 'CLOUD_OBJECT_KEY_INVALID' })
    })
  })
}
