import { join } from 'node:path'
import mqtt from 'mqtt'
import { ceilingOutbox, cpuSeconds, type PhaseResult, recordsPerBatch, serialised, tempDir } from './phases.js'
import { publishPipelined } from './publish-pipeline.js'
import { type RecordSize, recordsOf } from './records.js'

/**
 * The durable pipeline's own ceiling: the work every durable MQTT agent must do for a record, and nothing else,
 * in one process. better-sqlite3 inserts the pre-serialised rows (WAL, synchronous=FULL, transactions of 4,000,
 * the agent's group-commit bound); then each batch is read (only the rows that fit), spliced into its envelope,
 * gzipped on the libuv pool, published at QoS 1 with a window of 100 and, once PUBACKed, deleted (eight ranges per
 * transaction). No validation, no JSON of records, no per-record promise: the SQLite ceiling and the MQTT.js +
 * gzip ceiling added together, which is what bounds an agent that does both (the two share the 2 cores with the
 * broker). Its CPU per record is the figure to read; its wall rate is lower than a pipelined schedule could give.
 */
export async function durablePipelineCeiling(url: string, n: number, protocolVersion: 4 | 5, size: RecordSize): Promise<PhaseResult> {
  const tmp = tempDir()
  const { stream } = recordsOf(size)
  const rows = serialised(n, size)
  const perBatch = recordsPerBatch(rows.reduce((a, r) => a + r.length, 0) / n)
  const { db, read, insertMany, deleteMany } = ceilingOutbox(join(tmp.dir, 'composite.db'), rows)
  const client = await mqtt.connectAsync(url, { protocolVersion, clientId: 'bench-composite', clean: true, writeCache: false })
  const topic = `dt/edgetwin/turbine/bench-composite/${stream}`
  const id = { deviceId: 'bench-composite', kind: 'turbine', stream } as const
  const cpu0 = process.cpuUsage()
  const start = performance.now()
  for (let i = 0; i < n; i += 4000) insertMany(i, Math.min(n, i + 4000))
  let after = 0
  let acked: [number, number][] = []
  const { messages, bytes } = await publishPipelined(
    client,
    topic,
    id,
    () => {
      const batch = (read.all(after, perBatch) as [number, string, number][]).map(([seq, data, b]) => ({ seq, data, bytes: b }))
      if (batch.length > 0) after = batch[batch.length - 1]!.seq
      return batch
    },
    (batch) => {
      acked.push([batch[0]!.seq, batch[batch.length - 1]!.seq])
      if (acked.length === 8) {
        deleteMany(acked)
        acked = []
      }
    },
  )
  deleteMany(acked)
  const end = performance.now()
  const cpuS = cpuSeconds(cpu0)
  const left = db.prepare('SELECT count(*) FROM outbox').pluck().get() as number
  await client.endAsync()
  db.close()
  tmp.cleanup()
  if (left !== 0) throw new Error(`durable pipeline ceiling left ${left} rows undeleted`)
  return {
    recordsPerS: n / ((end - start) / 1000),
    recordsPerCpuS: n / cpuS,
    wireBytesPerRecord: bytes / n,
    messages,
    recordsPerBatch: perBatch,
  }
}
