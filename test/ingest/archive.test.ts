import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import {
  type ArchiveRecord,
  createFirehoseArchiveStream,
  createLocalArchiveStream,
  packFirehoseBatches,
  readArchiveObjects,
} from '@edgetwin/cloud'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { archiveStreamContract } from '../../cloud/src/sinks/archive/archive-stream.contract.js'
import { noSleep } from '../support/aws-wire.js'
import { startFirehoseWire } from './support/firehose-wire.js'
import { silentLogger, tempDir } from './support/fixtures.js'

archiveStreamContract('local folder', async () => {
  const tmp = tempDir()
  const stream = createLocalArchiveStream({ root: tmp.dir, logger: silentLogger, bufferIntervalMs: 60_000 })
  await stream.start()
  return {
    stream,
    readBack: async () => readArchiveObjects(tmp.dir).flatMap((o) => o.records) as ArchiveRecord[],
    cleanup: async () => {
      await stream.close()
      tmp.remove()
    },
  }
})

archiveStreamContract('Firehose PutRecordBatch', async () => {
  const wire = await startFirehoseWire('edgetwin-archive')
  const stream = createFirehoseArchiveStream({ client: wire.client, deliveryStreamName: 'edgetwin-archive', logger: silentLogger })
  return {
    stream,
    readBack: async () => wire.accepted.map((b) => JSON.parse(b.toString('utf8')) as ArchiveRecord),
    cleanup: () => wire.close(),
  }
})

describe('local archive: Firehose semantics', () => {
  const cleanups: Array<() => void> = []
  afterEach(() => {
    vi.useRealTimers()
    for (const c of cleanups.splice(0)) c()
  })
  const setup = (opts: { bufferSizeBytes?: number; bufferIntervalMs?: number } = {}) => {
    const tmp = tempDir()
    cleanups.push(tmp.remove)
    const stream = createLocalArchiveStream({ root: tmp.dir, prefix: 'positions', logger: silentLogger, ...opts })
    return { root: tmp.dir, stream }
  }

  it('partitions by DeviceId under <prefix>/<DeviceId>/<yyyy>/<MM>/<dd>/ as valid gzip NDJSON', async () => {
    vi.useFakeTimers({ now: new Date('2025-03-01T23:59:58.000Z'), toFake: ['Date'] })
    const { root, stream } = setup({ bufferIntervalMs: 60_000 })
    await stream.put([
      { DeviceId: 'van-1', n: 1 },
      { DeviceId: 'van-2', n: 2 },
      { DeviceId: 'van-1', n: 3 },
    ])
    await stream.flush()
    const objects = readArchiveObjects(root)
    expect(objects.map((o) => o.key.replace(/-[0-9a-f-]{36}\.gz$/, ''))).toEqual([
      'positions/van-1/2025/03/01/edgetwin-archive-1-2025-03-01-23-59-58',
      'positions/van-2/2025/03/01/edgetwin-archive-1-2025-03-01-23-59-58',
    ])
    const raw = gunzipSync(readFileSync(join(root, objects[0]!.key))).toString('utf8')
    expect(raw).toBe('{"DeviceId":"van-1","n":1}\n{"DeviceId":"van-1","n":3}\n')
    await stream.close()
  })

  it('rotates by size: an object is delivered when the buffer reaches the size hint', async () => {
    const { root, stream } = setup({ bufferSizeBytes: 1024 * 1024, bufferIntervalMs: 900_000 })
    const big = 'x'.repeat(1000)
    const records = Array.from({ length: 2500 }, (_, i) => ({ DeviceId: 'wt-1', i, big }))
    for (let i = 0; i < records.length; i += 100) await stream.put(records.slice(i, i + 100))
    // ~2.5 MB of lines with a 1 MiB hint: two full objects delivered, the rest still buffered.
    const before = readArchiveObjects(root)
    expect(before).toHaveLength(2)
    for (const o of before)
      expect(Buffer.byteLength(o.records.map((r) => `${JSON.stringify(r)}\n`).join(''))).toBeGreaterThanOrEqual(1024 * 1024)
    await stream.close()
    const all = readArchiveObjects(root).flatMap((o) => o.records) as Array<{ i: number }>
    expect(all.map((r) => r.i).sort((a, b) => a - b)).toEqual(records.map((r) => r.i))
  })

  it('rotates by time: a partition is delivered once its oldest record is older than the interval', async () => {
    vi.useFakeTimers({ now: new Date('2025-03-01T10:00:00.000Z') })
    const { root, stream } = setup({ bufferIntervalMs: 300_000 })
    await stream.put([{ DeviceId: 'van-1', n: 1 }])
    vi.advanceTimersByTime(299_000)
    expect(readArchiveObjects(root)).toHaveLength(0)
    vi.advanceTimersByTime(1_000)
    expect(readArchiveObjects(root)).toHaveLength(1)
    await stream.put([{ DeviceId: 'van-1', n: 2 }])
    vi.advanceTimersByTime(300_000)
    expect(readArchiveObjects(root).map((o) => o.records)).toEqual([[{ DeviceId: 'van-1', n: 1 }], [{ DeviceId: 'van-1', n: 2 }]])
    await stream.close()
  })

  it('keeps acknowledged records across a crash: the spool is delivered on the next start', async () => {
    const { root, stream } = setup({ bufferIntervalMs: 900_000 })
    await stream.put([{ DeviceId: 'van-1', n: 1 }])
    // No close(): the process "dies" with the record only in the spool.
    expect(readArchiveObjects(root)).toHaveLength(0)
    const again = createLocalArchiveStream({ root, prefix: 'positions', logger: silentLogger })
    await again.start()
    expect(readArchiveObjects(root).flatMap((o) => o.records)).toEqual([{ DeviceId: 'van-1', n: 1 }])
    await again.close()
    // The spool was emptied by that delivery: a third start delivers nothing again.
    const third = createLocalArchiveStream({ root, prefix: 'positions', logger: silentLogger })
    await third.start()
    await third.close()
    expect(readArchiveObjects(root).flatMap((o) => o.records)).toEqual([{ DeviceId: 'van-1', n: 1 }])
  })
})

describe('Firehose adapter at the wire', () => {
  it('packs at most 500 records and 4 MiB per PutRecordBatch', async () => {
    const wire = await startFirehoseWire('s')
    try {
      const stream = createFirehoseArchiveStream({ client: wire.client, deliveryStreamName: 's', logger: silentLogger })
      await stream.put(Array.from({ length: 1201 }, (_, i) => ({ DeviceId: 'd', i })))
      expect(wire.callSizes).toEqual([500, 500, 201])
      wire.callSizes.length = 0
      const big = 'y'.repeat(300 * 1024)
      await stream.put(Array.from({ length: 30 }, (_, i) => ({ DeviceId: 'd', i, big })))
      // 13 records of ~300 KiB fit under 4 MiB, the 14th would not.
      expect(wire.callSizes).toEqual([13, 13, 4])
      for (const b of wire.callBytes.slice(-3)) expect(b).toBeLessThanOrEqual(4 * 1024 * 1024)
    } finally {
      await wire.close()
    }
  })

  it('resends only the entries listed as failed, with backoff, and nothing twice', async () => {
    const wire = await startFirehoseWire('s', { failEntry: (call, i) => call <= 2 && i % 3 === 0 })
    const sleeps: number[] = []
    try {
      const stream = createFirehoseArchiveStream({
        client: wire.client,
        deliveryStreamName: 's',
        logger: silentLogger,
        backoff: { sleep: async (ms) => void sleeps.push(ms), random: () => 1 },
      })
      await stream.put(Array.from({ length: 10 }, (_, i) => ({ DeviceId: 'd', i })))
      // Call 1: 10 sent, entries 0,3,6,9 fail; call 2: those 4 resent, entries 0 and 3 of that call (i=0, i=9) fail; call 3: 2 resent.
      expect(wire.callSizes).toEqual([10, 4, 2])
      const resent = wire.server.requests
        .slice(1)
        .map((r) => (r.json().Records as Array<{ Data: string }>).map((x) => JSON.parse(Buffer.from(x.Data, 'base64').toString()).i))
      expect(resent).toEqual([
        [0, 3, 6, 9],
        [0, 9],
      ])
      const got = wire.accepted.map((b) => JSON.parse(b.toString()).i).sort((a: number, b: number) => a - b)
      expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
      expect(sleeps).toEqual([50, 100])
    } finally {
      await wire.close()
    }
  })

  it('backs off and retries the whole call on ServiceUnavailableException', async () => {
    const wire = await startFirehoseWire('s', { throttleFirstCalls: 2 })
    try {
      const stream = createFirehoseArchiveStream({
        client: wire.client,
        deliveryStreamName: 's',
        logger: silentLogger,
        backoff: { sleep: noSleep },
      })
      await stream.put([{ DeviceId: 'd', i: 1 }])
      expect(wire.callSizes).toEqual([1, 1, 1])
      expect(wire.accepted).toHaveLength(1)
    } finally {
      await wire.close()
    }
  })

  it('fails with a coded error on a non-retryable error and reports oversized records as rejected', async () => {
    const wire = await startFirehoseWire('other')
    try {
      const stream = createFirehoseArchiveStream({ client: wire.client, deliveryStreamName: 's', logger: silentLogger })
      await expect(stream.put([{ DeviceId: 'd' }])).rejects.toMatchObject({ code: 'CLOUD_FIREHOSE_REJECTED' })
      const result = await stream.put([{ DeviceId: 'd', big: 'z'.repeat(1001 * 1024) }])
      expect(result.rejected).toMatchObject([{ index: 0, code: 'RecordTooLarge' }])
    } finally {
      await wire.close()
    }
  })

  it('packFirehoseBatches never exceeds the quotas', () => {
    const lines = Array.from({ length: 2000 }, (_, i) => Buffer.alloc(1 + ((i * 7919) % 20_000)))
    const batches = packFirehoseBatches(lines)
    expect(batches.flat()).toEqual(lines.map((_, i) => i))
    for (const b of batches) {
      expect(b.length).toBeLessThanOrEqual(500)
      expect(b.reduce((n, i) => n + lines[i]!.length, 0)).toBeLessThanOrEqual(4 * 1024 * 1024)
    }
  })
})
