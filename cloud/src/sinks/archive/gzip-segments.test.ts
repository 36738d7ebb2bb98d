import { crc32, gunzipSync, gzipSync, inflateRawSync } from 'node:zlib'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { crc32Combine, gzipObject, toSegment } from './gzip-segments.js'

/** Decodes `object` as exactly one gzip member: the deflate stream must end right before the 8-byte trailer. */
function singleMember(object: Buffer): Buffer {
  expect([...object.subarray(0, 3)]).toEqual([0x1f, 0x8b, 0x08])
  const body = object.subarray(10, object.length - 8)
  const data = inflateRawSync(body)
  expect(object.readUInt32LE(object.length - 8)).toBe(crc32(data))
  expect(object.readUInt32LE(object.length - 4)).toBe(data.length % 2 ** 32)
  return data
}

describe('archive objects from spooled segments', () => {
  it('combines CRC-32s as zlib does', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), (a, b) => {
        expect(crc32Combine(crc32(a), crc32(b), b.length)).toBe(crc32(Buffer.concat([a, b])))
      }),
    )
  })

  it('makes one gzip member of segments, plain rows and older gzip rows, in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('segment', 'plain', 'gzip'), fc.string({ minLength: 1, maxLength: 2000 })), {
          minLength: 1,
          maxLength: 12,
        }),
        (rows) => {
          const lines = rows.map(([, text]) => Buffer.from(`${JSON.stringify({ text })}\n`))
          const spooled = rows.map(([kind], i) =>
            kind === 'segment' ? toSegment(lines[i]!) : kind === 'gzip' ? gzipSync(lines[i]!) : lines[i]!,
          )
          const object = gzipObject(spooled)
          expect(singleMember(object)).toEqual(Buffer.concat(lines))
          // And what every gzip reader sees.
          expect(gunzipSync(object)).toEqual(Buffer.concat(lines))
        },
      ),
      { numRuns: 200 },
    )
  })
})
