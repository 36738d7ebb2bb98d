import { describe, expect, it } from 'vitest'
import type { HighWaterMarkStore } from './high-water-mark.js'

export interface MarksHarness {
  readonly marks: HighWaterMarkStore
  /** A second store over the same persistence (a restart, or another Lambda instance). */
  reopen(): Promise<HighWaterMarkStore>
  cleanup(): Promise<void>
}

/** What the router needs from every high-water-mark store (SQLite, DynamoDB). */
export function highWaterMarkContract(name: string, create: () => Promise<MarksHarness>): void {
  describe(`HighWaterMarkStore contract: ${name}`, () => {
    it('starts empty, advances per sink, never moves back, and persists', async () => {
      const h = await create()
      try {
        expect(await h.marks.get('wt-1', 'metrics')).toEqual({})
        expect(await h.marks.advance('wt-1', 'metrics', 'timeSeries', 10)).toBe(true)
        expect(await h.marks.advance('wt-1', 'metrics', 'archive', 7)).toBe(true)
        expect(await h.marks.advance('wt-1', 'metrics', 'timeSeries', 10)).toBe(false)
        expect(await h.marks.advance('wt-1', 'metrics', 'timeSeries', 4)).toBe(false)
        expect(await h.marks.get('wt-1', 'metrics')).toEqual({ timeSeries: 10, archive: 7 })
        expect(await h.marks.get('wt-1', 'position')).toEqual({})
        expect(await h.marks.get('wt-2', 'metrics')).toEqual({})
        const again = await h.reopen()
        expect(await again.get('wt-1', 'metrics')).toEqual({ timeSeries: 10, archive: 7 })
        expect(await again.advance('wt-1', 'metrics', 'archive', 12)).toBe(true)
        expect((await again.get('wt-1', 'metrics'))['archive']).toBe(12)
      } finally {
        await h.cleanup()
      }
    })
  })
}
