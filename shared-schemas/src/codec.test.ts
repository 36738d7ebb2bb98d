import { gzipSync } from 'node:zlib'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeEnvelope, decodeEnvelopeWithJson, encodeEnvelope } from './codec.js'
import type { BatchEnvelope } from './envelope.js'
import { SchemaError } from './errors.js'

// JSON has no negative zero: -0 encodes as 0, so generate coordinates without it.
const coordinate = (max: number) => fc.double({ min: -max, max, noNaN: true }).map((x) => (Object.is(x, -0) ? 0 : x))

const position = fc.record({
  sampleTime: fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }).map((d) => d.toISOString()),
  lon: coordinate(180),
  lat: coordinate(90),
})

const envelope: fc.Arbitrary<BatchEnvelope> = fc
  .tuple(
    fc.stringMatching(/^[a-zA-Z0-9:_-]{1,128}$/),
    fc.integer({ min: 1, max: 1e12 }),
    fc.array(position, { minLength: 1, maxLength: 50 }),
  )
  .map(([deviceId, start, records]) => ({
    deviceId,
    kind: 'vehicle' as const,
    stream: 'position' as const,
    schemaVersion: 1 as const,
    firstSeq: start,
    lastSeq: start + records.length - 1,
    records: records.map((data, i) => ({ seq: start + i, data })),
  }))

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    return err instanceof SchemaError ? err.code : 'not a SchemaError'
  }
  return undefined
}

describe('envelope codec', () => {
  it('round-trips through gzip and through plain JSON', () => {
    fc.assert(
      fc.property(envelope, fc.constantFrom('gzip' as const, 'none' as const), (env, compression) => {
        expect(decodeEnvelope(encodeEnvelope(env, compression), { maxPayloadBytes: 10 * 1024 * 1024 })).toEqual(env)
      }),
    )
  })

  it('returns the JSON text the envelope was parsed from, inflated when the payload was gzip', () => {
    fc.assert(
      fc.property(envelope, fc.constantFrom('gzip' as const, 'none' as const), (env, compression) => {
        const { envelope: decoded, json } = decodeEnvelopeWithJson(encodeEnvelope(env, compression), { maxPayloadBytes: 10 * 1024 * 1024 })
        expect(decoded).toEqual(env)
        expect(json.toString('utf8')).toBe(JSON.stringify(env))
      }),
    )
  })

  it('tells gzip from JSON by the magic bytes', () => {
    const env: BatchEnvelope = {
      deviceId: 'v1',
      kind: 'vehicle',
      stream: 'position',
      schemaVersion: 1,
      firstSeq: 1,
      lastSeq: 1,
      records: [{ seq: 1, data: { sampleTime: '2026-01-01T00:00:00Z', lon: 0, lat: 0 } }],
    }
    const gz = encodeEnvelope(env, 'gzip')
    expect([gz[0], gz[1]]).toEqual([0x1f, 0x8b])
    expect(encodeEnvelope(env, 'none')[0]).toBe('{'.charCodeAt(0))
  })

  it('refuses a payload over the size limit', () => {
    expect(codeOf(() => decodeEnvelope(Buffer.alloc(128 * 1024 + 1, 0x20)))).toBe('ENVELOPE_TOO_LARGE')
  })

  it('refuses a gzip bomb that inflates past the limit', () => {
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20))
    expect(bomb.length).toBeLessThan(128 * 1024)
    expect(codeOf(() => decodeEnvelope(bomb))).toBe('ENVELOPE_INFLATE_LIMIT')
  })

  it('refuses corrupt gzip and invalid JSON as malformed', () => {
    expect(codeOf(() => decodeEnvelope(Buffer.from([0x1f, 0x8b, 1, 2, 3])))).toBe('ENVELOPE_MALFORMED')
    expect(codeOf(() => decodeEnvelope(Buffer.from('{"deviceId":')))).toBe('ENVELOPE_MALFORMED')
  })

  it('names the record field that violates its stream schema', () => {
    const bad = {
      deviceId: 'v1',
      kind: 'vehicle',
      stream: 'position',
      schemaVersion: 1,
      firstSeq: 1,
      lastSeq: 2,
      records: [
        { seq: 1, data: { sampleTime: '2026-01-01T00:00:00Z', lon: 0, lat: 0 } },
        { seq: 2, data: { sampleTime: '2026-01-01T00:00:00Z', lon: 0, lat: 91 } },
      ],
    }
    try {
      decodeEnvelope(Buffer.from(JSON.stringify(bad)))
      expect.unreachable()
    } catch (err) {
      expect((err as SchemaError).code).toBe('SCHEMA_INVALID')
      expect((err as SchemaError).errors.map((e) => e.path)).toContain('/records/1/data/lat')
    }
  })

  it('refuses sequence numbers that do not grow or disagree with the range', () => {
    const rec = { sampleTime: '2026-01-01T00:00:00Z', lon: 0, lat: 0 }
    const base = { deviceId: 'v1', kind: 'vehicle', stream: 'position', schemaVersion: 1 }
    const repeated = {
      ...base,
      firstSeq: 1,
      lastSeq: 1,
      records: [
        { seq: 1, data: rec },
        { seq: 1, data: rec },
      ],
    }
    expect(codeOf(() => decodeEnvelope(Buffer.from(JSON.stringify(repeated))))).toBe('SCHEMA_INVALID')
    const wrongRange = { ...base, firstSeq: 1, lastSeq: 5, records: [{ seq: 1, data: rec }] }
    expect(codeOf(() => decodeEnvelope(Buffer.from(JSON.stringify(wrongRange))))).toBe('SCHEMA_INVALID')
  })
})
