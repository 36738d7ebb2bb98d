import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { dataEnd, dataStart, findRecordText, numericMembersText, usableText } from './record-text.js'

const data = fc.oneof(
  fc.record({ time: fc.string(), windSpeedMps: fc.double({ noNaN: true, noDefaultInfinity: true }), alarms: fc.array(fc.string()) }),
  fc.dictionary(fc.string(), fc.jsonValue()),
)
const envelope = fc
  .tuple(fc.array(data, { minLength: 1, maxLength: 20 }), fc.string(), fc.boolean())
  .map(([records, deviceId, sentAtFirst]) => ({
    ...(sentAtFirst ? { sentAt: deviceId } : {}),
    deviceId,
    records: records.map((d, i) => ({ seq: i + 1, data: d })),
    lastSeq: records.length,
  }))

/** The text of record i as the router would copy it, or undefined when it must serialise. */
function textOf(json: string, i: number, value: unknown): string | undefined {
  const found = findRecordText(Buffer.from(json), (JSON.parse(json) as { records: unknown[] }).records.length)
  if (!found || !usableText(found, i, value)) return undefined
  return found.json.toString('utf8', dataStart(found, i), dataEnd(found, i))
}

describe('record text', () => {
  it('finds each record data exactly as JSON.stringify wrote it, whatever the values', () => {
    fc.assert(
      fc.property(envelope, (env) => {
        const json = JSON.stringify(env)
        const parsed = JSON.parse(json) as typeof env
        parsed.records.forEach((r, i) => {
          expect(textOf(json, i, r.data)).toBe(JSON.stringify(r.data))
        })
      }),
    )
  })

  it('finds the records of indented JSON but reuses no text that holds whitespace (a newline would split an NDJSON line)', () => {
    const json = JSON.stringify(
      {
        deviceId: 'v',
        records: [
          { seq: 1, data: { a: 1 } },
          { seq: 2, data: 7 },
        ],
      },
      null,
      2,
    )
    expect(textOf(json, 0, { a: 1 })).toBeUndefined()
    // A number has no inner whitespace: its own text is usable even in indented JSON.
    expect(textOf(json, 1, 7)).toBe('7')
  })

  it('reuses no text whose object repeats a member name (parsers disagree on which one counts)', () => {
    const json = '{"records":[{"seq":1,"data":{"a":1,"b":{"c":2,"c":"x"}}}]}'
    expect(textOf(json, 0, JSON.parse(json).records[0].data)).toBeUndefined()
    const escaped = '{"records":[{"seq":1,"data":{"a":1,"\\u0061":2}}]}'
    expect(textOf(escaped, 0, JSON.parse(escaped).records[0].data)).toBeUndefined()
  })

  it('takes the last of repeated records and data members, as JSON.parse does', () => {
    const json = '{"records":[{"seq":1,"data":{"a":1}}],"records":[{"seq":1,"data":{"a":2},"data":{"a":3}}]}'
    expect(textOf(json, 0, { a: 3 })).toBe('{"a":3}')
  })

  it('gives up on member names written with escapes, a record count that differs, and bytes that are not UTF-8', () => {
    expect(findRecordText(Buffer.from('{"rec\\u006frds":[{"seq":1,"data":1}]}'), 1)).toBeUndefined()
    expect(findRecordText(Buffer.from('{"records":[{"seq":1,"data":1}]}'), 2)).toBeUndefined()
    expect(findRecordText(Buffer.from('{"records":[{"seq":1,"data":1},{"seq":2,"data":2}]}'), 1)).toBeUndefined()
    const latin1 = Buffer.concat([Buffer.from('{"records":[{"seq":1,"data":"'), Buffer.from([0xe9]), Buffer.from('"}]}')])
    expect(findRecordText(latin1, 1)).toBeUndefined()
  })

  it('copies multi-byte UTF-8 text unchanged', () => {
    const json = JSON.stringify({ records: [{ seq: 1, data: { note: 'éolienne 風車 🌬' } }] })
    expect(textOf(json, 0, { note: 'éolienne 風車 🌬' })).toBe('{"note":"éolienne 風車 🌬"}')
  })

  it('copies the numeric members of a record as JSON text equal to serialising them', () => {
    fc.assert(
      fc.property(envelope, (env) => {
        const json = JSON.stringify(env)
        const parsed = JSON.parse(json) as typeof env
        const found = findRecordText(Buffer.from(json), parsed.records.length)
        parsed.records.forEach((r, i) => {
          if (typeof r.data !== 'object' || r.data === null || Array.isArray(r.data)) return
          const numeric = Object.fromEntries(Object.entries(r.data).filter(([, v]) => typeof v === 'number'))
          const text = numericMembersText(found, i, r.data)
          // Left to serialisation: names written with escapes, and numeric members in more than two runs.
          const kinds = Object.values(r.data).map((v) => typeof v === 'number')
          const runs = kinds.filter((isNumber, k) => isNumber && !kinds[k - 1]).length
          const escaped = Object.keys(r.data).some((k) => JSON.stringify(k).includes('\\'))
          if (text === undefined) expect(escaped || runs > 2).toBe(true)
          else expect(JSON.parse(text)).toEqual(numeric)
        })
      }),
    )
  })

  it('joins the numeric runs around other members', () => {
    const data = { time: 't', a: 1.5, b: -2e-7, alarms: ['x'], c: 3, note: '{"d":4}' }
    const json = JSON.stringify({ records: [{ seq: 1, data }] })
    expect(numericMembersText(findRecordText(Buffer.from(json), 1), 0, data)).toBe('{"a":1.5,"b":-2e-7,"c":3}')
    // A third run is left to serialisation; no numeric member at all is an empty object.
    const three = { a: 1, s: 'x', b: 2, t: 'y', c: 3 }
    const json3 = JSON.stringify({
      records: [
        { seq: 1, data: three },
        { seq: 2, data: { s: 'x' } },
      ],
    })
    expect(numericMembersText(findRecordText(Buffer.from(json3), 2), 0, three)).toBeUndefined()
    expect(numericMembersText(findRecordText(Buffer.from(json3), 2), 1, { s: 'x' })).toBe('{}')
  })
})
