import { describe, expect, it } from 'vitest'
import type { ArchiveRecord, ArchiveStream } from './archive-stream.js'

export interface ArchiveHarness {
  readonly stream: ArchiveStream
  /** Every record that reached the destination, in delivery order. */
  readBack(): Promise<ArchiveRecord[]>
  cleanup(): Promise<void>
}

/** The behaviour every ArchiveStream adapter must show (local folder, Firehose). */
export function archiveStreamContract(name: string, create: () => Promise<ArchiveHarness>): void {
  describe(`ArchiveStream contract: ${name}`, () => {
    const rec = (deviceId: string, seq: number): ArchiveRecord => ({ DeviceId: deviceId, Seq: seq, Data: { v: seq } })

    it('delivers every record once, in order per device', async () => {
      const h = await create()
      try {
        const input = [
          ...Array.from({ length: 30 }, (_, i) => rec('van-1', i + 1)),
          ...Array.from({ length: 20 }, (_, i) => rec('van-2', i + 1)),
        ]
        const result = await h.stream.put(input)
        expect(result).toEqual({ written: 50, rejected: [] })
        await h.stream.flush()
        const back = await h.readBack()
        expect(back).toHaveLength(50)
        for (const device of ['van-1', 'van-2']) {
          const seqs = back.filter((r) => r.DeviceId === device).map((r) => r['Seq'])
          expect(seqs).toEqual(input.filter((r) => r.DeviceId === device).map((r) => r['Seq']))
        }
      } finally {
        await h.cleanup()
      }
    })

    it('delivers a put larger than one call', async () => {
      const h = await create()
      try {
        const input = Array.from({ length: 1234 }, (_, i) => rec('wt-9', i + 1))
        await h.stream.put(input)
        await h.stream.flush()
        expect((await h.readBack()).map((r) => r['Seq'])).toEqual(input.map((r) => r['Seq']))
      } finally {
        await h.cleanup()
      }
    })

    it('keeps JSON values intact', async () => {
      const h = await create()
      try {
        const odd: ArchiveRecord = { DeviceId: 'gw-1', text: 'line\nbreak "quoted" ünïcode', n: 1.5e-7, nested: { a: [1, null, true] } }
        await h.stream.put([odd])
        await h.stream.flush()
        expect(await h.readBack()).toEqual([odd])
      } finally {
        await h.cleanup()
      }
    })
  })
}
