import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { CheckpointStore } from './checkpoint-store.js'

const dir = mkdtempSync(join(tmpdir(), 'edgetwin-checkpoint-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('CheckpointStore', () => {
  it('returns null before the first save and the saved checkpoint after, from a new instance', () => {
    const store = new CheckpointStore(join(dir, 'a'))
    expect(store.load('readings')).toBeNull()
    const checkpoint = {
      version: 1 as const,
      watermark: '2024-01-01 12:00:00.123456+00',
      aggregator: {
        closedUpToMs: 60_000,
        maxEventTimeMs: 61_000,
        open: [{ deviceId: 'p', metric: 'x', windowStartMs: 60_000, values: [1.5] }],
      },
    }
    store.save('readings', checkpoint)
    expect(new CheckpointStore(join(dir, 'a')).load('readings')).toEqual(checkpoint)
    expect(readdirSync(join(dir, 'a'))).toEqual(['readings.checkpoint.json'])
    expect(statSync(join(dir, 'a', 'readings.checkpoint.json')).mode & 0o077).toBe(0)
  })

  it('reports a corrupt checkpoint with a coded error naming the file', () => {
    const store = new CheckpointStore(join(dir, 'b'))
    writeFileSync(join(dir, 'b', 'x.checkpoint.json'), '{"version":1,"waterm')
    expect(() => store.load('x')).toThrow(
      expect.objectContaining({ code: 'AGENT_GATEWAY_CHECKPOINT', message: expect.stringMatching(/x\.checkpoint\.json is corrupt/) }),
    )
    expect(existsSync(join(dir, 'b', 'x.checkpoint.json'))).toBe(true)
  })
})
