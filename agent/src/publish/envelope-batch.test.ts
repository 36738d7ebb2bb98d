import { gunzipSync } from 'node:zlib'
import { decodeEnvelope, encodeEnvelope } from '@edgetwin/shared-schemas'
import { describe, expect, it } from 'vitest'
import { encodeBatch, envelopeJson } from './envelope-batch.js'

const records = [
  { time: '2024-01-01T00:00:00Z', type: 'a.b', severity: 'info' as const, message: 'ünïcødé "quoted" \\ \n' },
  { time: '2024-01-01T00:00:01Z', type: 'c', severity: 'critical' as const, data: { x: 1.5, y: null, z: true } },
]
const rows = records.map((r, i) => ({ seq: 10 + i * 3, data: JSON.stringify(r), bytes: 0 }))
const id = { deviceId: 'turbine-1', kind: 'turbine' as const, stream: 'events' as const }

describe('envelopeJson', () => {
  it('produces exactly the bytes of the shared codec for the same envelope', () => {
    const sentAt = '2024-01-01T00:00:02.000Z'
    const envelope = {
      ...id,
      schemaVersion: 1 as const,
      firstSeq: 10,
      lastSeq: 13,
      sentAt,
      records: records.map((data, i) => ({ seq: 10 + i * 3, data })),
    }
    expect(envelopeJson(id, rows, sentAt)).toBe(encodeEnvelope(envelope, 'none').toString())
  })

  it('gzips a payload the shared decoder accepts', async () => {
    const payload = await encodeBatch(id, rows, 'gzip')
    const decoded = decodeEnvelope(payload)
    expect(decoded.records.map((r) => r.data)).toEqual(records)
    expect(JSON.parse(gunzipSync(payload).toString()).lastSeq).toBe(13)
  })
})
