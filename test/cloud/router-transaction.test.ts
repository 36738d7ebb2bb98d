import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { crc32, gunzipSync } from 'node:zlib'
import {
  CloudError,
  createLocalIngest,
  createRouter,
  createSqliteDeadLetterStore,
  createSqliteHighWaterMarkStore,
  type LocalIngest,
  readArchiveObjects,
} from '@edgetwin/cloud'
import { encodeEnvelope, telemetryTopic } from '@edgetwin/shared-schemas'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { envelope, position, silentLogger, tempDir, turbineSample } from '../ingest/support/fixtures.js'

const NOW = new Date('2025-03-01T12:00:00.123Z')
const metricsTopic = telemetryTopic('turbine', 'wt-1', 'metrics')

/** The delivered archive objects' raw lines, in key order. */
function archivedLines(ingest: LocalIngest): string[] {
  return readArchiveObjects(ingest.archiveRoot)
    .flatMap((o) =>
      gunzipSync(readFileSync(join(ingest.archiveRoot, o.key)))
        .toString('utf8')
        .split('\n'),
    )
    .filter((l) => l !== '')
}

describe('router: archive lines copied from the envelope text', () => {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c()
  })
  const start = async () => {
    const tmp = tempDir()
    const ingest = createLocalIngest({ dataDir: tmp.dir, logger: silentLogger, now: () => NOW, archiveBufferIntervalMs: 60_000 })
    await ingest.start()
    cleanups.push(async () => {
      await ingest.close()
      tmp.remove()
    })
    return ingest
  }

  it('writes each line exactly as JSON.stringify of the archive record, in objects of one gzip member', async () => {
    const ingest = await start()
    // 60 records make one spool row over the compression threshold (a gzip member), 1 record one below it.
    const big = envelope(
      'wt-1',
      'turbine',
      'metrics',
      1,
      Array.from({ length: 60 }, (_, i) => turbineSample(i, { windSpeedMps: (Math.PI * i) % 100 })),
    )
    const small = envelope('wt-1', 'turbine', 'metrics', 61, [turbineSample(60, { windSpeedMps: 1 / 3 })])
    await ingest.router.handle(metricsTopic, encodeEnvelope(big))
    await ingest.router.handle(metricsTopic, encodeEnvelope(small))
    await ingest.router.handle(metricsTopic, encodeEnvelope(envelope('wt-1', 'turbine', 'metrics', 62, [turbineSample(61)])))
    await ingest.archive.flush()
    const expected = [...big.records, ...small.records, { seq: 62, data: turbineSample(61) }].map((r) =>
      JSON.stringify({ DeviceId: 'wt-1', Kind: 'turbine', Stream: 'metrics', Seq: r.seq, ReceivedTime: NOW.toISOString(), Data: r.data }),
    )
    expect(archivedLines(ingest)).toEqual(expected)
    // One member: the trailer's CRC-32 and length cover the whole object (a reader that stops after the first
    // member of a gzip file reads everything).
    for (const o of readArchiveObjects(ingest.archiveRoot)) {
      const object = readFileSync(join(ingest.archiveRoot, o.key))
      const data = gunzipSync(object)
      expect(object.readUInt32LE(object.length - 8)).toBe(crc32(data))
      expect(object.readUInt32LE(object.length - 4)).toBe(data.length)
    }
  })

  it('serialises a record whose text holds whitespace or a repeated member, so no line breaks and no name is doubled', async () => {
    const ingest = await start()
    const indented = JSON.stringify(envelope('wt-1', 'turbine', 'metrics', 1, [turbineSample(0), turbineSample(1)]), null, 2)
    // The agent never writes this, but JSON allows it: JSON.parse keeps the last windSpeedMps (9), which is what was validated.
    const repeated = JSON.stringify(envelope('wt-1', 'turbine', 'metrics', 3, [turbineSample(2, { windSpeedMps: 9 })])).replace(
      '"windSpeedMps":9',
      '"windSpeedMps":"not a number","windSpeedMps":9',
    )
    expect(await ingest.router.handle(metricsTopic, Buffer.from(indented))).toMatchObject({ outcome: 'routed', routed: 2 })
    expect(await ingest.router.handle(metricsTopic, Buffer.from(repeated))).toMatchObject({ outcome: 'routed', routed: 1 })
    await ingest.archive.flush()
    const lines = archivedLines(ingest)
    expect(lines).toHaveLength(3)
    expect(lines.map((l) => (JSON.parse(l) as { Data: unknown }).Data)).toEqual([
      turbineSample(0),
      turbineSample(1),
      turbineSample(2, { windSpeedMps: 9 }),
    ])
    expect(lines[2]!.match(/windSpeedMps/g)).toHaveLength(1)
  })
})

describe('router: one transaction per envelope, a savepoint per sink', () => {
  const cleanups: Array<() => void> = []
  afterEach(() => {
    for (const c of cleanups.splice(0)) c()
  })

  /** The router on a real SQLite marks store, with in-transaction writers that store rows in the same file. */
  const setup = (failArchive: () => boolean) => {
    const tmp = tempDir()
    const db = new Database(join(tmp.dir, 'ingest.db'))
    cleanups.push(() => {
      db.close()
      tmp.remove()
    })
    db.exec('CREATE TABLE tracked (device_id TEXT, sample_time TEXT)')
    db.exec('CREATE TABLE archived (device_id TEXT, body BLOB)')
    const track = db.prepare('INSERT INTO tracked VALUES (?, ?)')
    const archive = db.prepare('INSERT INTO archived VALUES (?, ?)')
    const marks = createSqliteHighWaterMarkStore(db)
    let rolledBack = 0
    const router = createRouter({
      // Unused: both sinks of the position stream are written in the transaction.
      sinks: {} as never,
      marks,
      deadLetters: createSqliteDeadLetterStore(db),
      logger: silentLogger,
      inTransaction: {
        tracker: (updates) => {
          for (const u of updates) track.run(u.deviceId, u.sampleTime)
          return { written: updates.length, rejected: [] }
        },
        archive: (lines) => {
          archive.run(lines.partitionKey, lines.body)
          // As the local archive does for a line over Firehose's 1,000 KiB: after writing, the savepoint rolls it back.
          if (failArchive()) throw new CloudError('CLOUD_ARCHIVE_RECORD_TOO_LARGE', 'record too large')
          return { written: lines.count, rejected: [] }
        },
        rolledBack: () => {
          rolledBack++
        },
      },
    })
    const count = (table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n
    return { router, marks, count, rolledBack: () => rolledBack }
  }
  const topic = telemetryTopic('vehicle', 'van-1', 'position')
  const batch = (first: number, n: number) =>
    encodeEnvelope(
      envelope(
        'van-1',
        'vehicle',
        'position',
        first,
        Array.from({ length: n }, (_, i) => position(first + i)),
      ),
    )

  it('commits the sinks that succeeded with their marks when another fails, and retries only the failed one', async () => {
    let fail = true
    const { router, marks, count, rolledBack } = setup(() => fail)
    await expect(router.handle(topic, batch(1, 3))).rejects.toMatchObject({ code: 'CLOUD_SINK_FAILED' })
    expect(count('tracked')).toBe(3)
    expect(count('archived')).toBe(0)
    expect(await marks.get('van-1', 'position')).toEqual({ tracker: 3 })
    expect(rolledBack()).toBe(1)

    fail = false
    expect(await router.handle(topic, batch(1, 3))).toMatchObject({ outcome: 'routed', routed: 3 })
    expect(count('tracked')).toBe(3)
    expect(count('archived')).toBe(1)
    expect(await marks.get('van-1', 'position')).toEqual({ tracker: 3, archive: 3 })
  })

  it('raises no mark the cache would serve before its transaction commits', async () => {
    const { router, marks } = setup(() => false)
    await router.handle(topic, batch(1, 2))
    // A transaction that rolls back after both savepoints were released: none of their marks may stay cached.
    expect(() =>
      marks.transaction!(() => {
        marks.advanceWith!('van-1', 'position', 'tracker', 10, () => undefined)
        marks.advanceWith!('van-1', 'position', 'archive', 10, () => undefined)
        throw new Error('commit failed')
      }),
    ).toThrow('commit failed')
    expect(await marks.get('van-1', 'position')).toEqual({ tracker: 2, archive: 2 })
    expect(await router.handle(topic, batch(3, 1))).toMatchObject({ outcome: 'routed', routed: 1 })
    expect(await marks.get('van-1', 'position')).toEqual({ tracker: 3, archive: 3 })
  })
})
